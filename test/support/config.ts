import { ConfigError, loadConfig, type Config } from '../../src/config.js'

/** The executor secrets the config suite's pools name (webhook and Slurm), set unless a test unsets them. */
export const EXECUTOR_SECRETS = { LAB_HOOK_SECRET: 'whsec-test', SLURM_JWT: 'jwt-test' }

/** Loads `file` as if it were ./x.json, without touching the disk. */
export function loadFile (file: unknown, env: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({ ...EXECUTOR_SECRETS, ...env, GREENSHIFT_CONFIG: './x.json' }, () => JSON.stringify(file))
}

/** The issues a ConfigError lists; fails the test when `load` does not throw one. */
export function issues (load: () => unknown): readonly string[] {
  try {
    load()
  } catch (err) {
    if (err instanceof ConfigError) return err.issues
    throw err
  }
  throw new Error('expected a ConfigError')
}

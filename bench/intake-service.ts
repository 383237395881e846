import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { DEFAULT_CONFIG_JSON } from '../src/config.js'
import { call, until } from '../chaos/http.js'
import { atExit, logTail, startProcess, stopProcess, type Proc } from '../chaos/processes.js'
import { ADMIN_KEY, freePort, ROOT } from '../chaos/testbed.js'

export { ADMIN_KEY } from '../chaos/testbed.js'

/** The shared server's default, as in `npm run test:pg`. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'

/**
 * The built-in default's zones and pools with every pool's GPUs multiplied by this: a service that
 * reaches its target (≥ 1,000 jobs/s × 15 s, 2.5 GPUs × 75 min each) books ~50,000 GPU-hours in a
 * 36-hour window, which the default's 248 GPUs (8,900 GPU-hours) could not hold. Capacity must
 * never be what is measured; the planner's cost does not depend on the count.
 */
const GPU_SCALE = 1_000

/** Where the service keeps its data: a scratch database on a PostgreSQL server, or a PGlite directory. */
export type Target = { kind: 'postgres', url: string, adminUrl: string } | { kind: 'pglite', dataDir: string }

/** A work directory under the system temp dir, removed at exit. */
export function workDir (prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  atExit(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Creates `greenshift_bench_<random>` on the server of `serverUrl` and registers its drop (with
 * force: a killed service may still hold connections) for any exit, SIGINT included.
 */
export async function scratchDatabase (serverUrl: string): Promise<Target> {
  const name = `greenshift_bench_${randomBytes(4).toString('hex')}`
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(`create database ${pg.escapeIdentifier(name)}`)
  } finally {
    await client.end()
  }
  // Synchronous (psql), because exit handlers cannot wait for a promise.
  atExit(() => { execFileSync('psql', [serverUrl, '-qc', `drop database if exists ${pg.escapeIdentifier(name)} with (force)`], { stdio: 'ignore', timeout: 30_000 }) })
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return { kind: 'postgres', url: url.toString(), adminUrl: serverUrl }
}

/** A PGlite data directory inside `dir`. */
export function pgliteTarget (dir: string): Target {
  return { kind: 'pglite', dataDir: join(dir, 'pglite') }
}

/** Writes the benchmark's config file (see GPU_SCALE; `zones` replaces some of the default's) into `dir` and returns its path. */
export function writeBenchConfig (dir: string, zones: Record<string, unknown> = {}): string {
  const config = JSON.parse(DEFAULT_CONFIG_JSON) as { zones: Record<string, unknown>, pools: Array<{ gpuCount: number }> }
  for (const pool of config.pools) pool.gpuCount *= GPU_SCALE
  Object.assign(config.zones, zones)
  const path = join(dir, 'greenshift.json')
  writeFileSync(path, JSON.stringify(config, null, 2))
  return path
}

/** How to start the service. */
export interface ServiceOptions {
  target: Target
  configPath: string
  dir: string
  /** Run `dist/src/cli/main.js` (after `npm run build`) instead of the sources through tsx. */
  dist: boolean
  /** The scheduler loop on (soak) or off (intake). */
  scheduler: boolean
  /** Extra node flags, e.g. `--cpu-prof` or `--trace-gc`. */
  nodeFlags?: string[]
}

/** A running `greenshift serve`. */
export interface Service {
  readonly url: string
  readonly proc: Proc
}

/** The environment without anything that would point the service elsewhere (the caller's DATABASE_URL, GREENSHIFT_*). */
function cleanEnv (): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GREENSHIFT_') && k !== 'DATABASE_URL' && k !== 'PORT'))
}

/**
 * Starts `greenshift serve` on a free loopback port with the rate limit off and a per-tenant queue
 * cap far above any depth measured, and waits for /readyz. The admin key is `ADMIN_KEY`.
 */
export async function startService (opts: ServiceOptions): Promise<Service> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    HOST: '127.0.0.1',
    PORT: String(port),
    GREENSHIFT_CONFIG: opts.configPath,
    GREENSHIFT_ADMIN_KEY: ADMIN_KEY,
    GREENSHIFT_SCHEDULER: opts.scheduler ? 'on' : 'off',
    GREENSHIFT_RATE_LIMIT_PER_SECOND: '0',
    GREENSHIFT_MAX_QUEUED_JOBS: '10000000',
    LOG_LEVEL: 'info',
    ...opts.target.kind === 'postgres' ? { DATABASE_URL: opts.target.url } : { GREENSHIFT_DATA_DIR: opts.target.dataDir }
  }
  const cli = opts.dist ? [join(ROOT, 'dist/src/cli/main.js')] : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')]
  const proc = startProcess('greenshift', process.execPath, [...opts.nodeFlags ?? [], ...cli, 'serve'], {
    env, cwd: ROOT, logPath: join(opts.dir, 'service.log')
  })
  const url = `http://127.0.0.1:${port}`
  const ok = await until(120_000, 200, async () => {
    if (proc.exit !== undefined) return false
    const a = await call(`${url}/readyz`, { timeoutMs: 2_000 })
    return a.ok && a.status === 200 ? true : undefined
  })
  if (ok !== true) {
    await stopProcess(proc)
    throw new Error(`the service ${ok === false ? 'exited' : 'was not ready within 120 s'}:\n${logTail(proc)}`)
  }
  return { url, proc }
}

/** SIGTERM (the service closes its pools, PGlite flushes), SIGKILL after 20 s. */
export async function stopService (service: Service): Promise<void> {
  await stopProcess(service.proc, 20_000)
}

/** A progress line on stderr, so stdout holds only the results. */
export function progress (line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)
}

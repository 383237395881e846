import { execFileSync } from 'node:child_process'
import type { AgentJob } from './job.js'

/**
 * What a job gets of the agent's environment without being asked: enough to find programs, a home
 * and a locale. Everything else (the pool token above all, but also cloud credentials or a
 * DATABASE_URL the host happens to hold) stays with the agent unless the operator names it.
 */
export const BASE_ENV: readonly string[] = ['PATH', 'HOME', 'LANG']

/** The Unix account a job runs as (`--run-as`), resolved once at start. */
export interface JobUser {
  name: string
  uid: number
  gid: number
  /** Becomes the job's HOME: the agent's own would be another user's. */
  home: string
}

/** What `jobEnv` needs of a run. */
export interface JobEnvInput {
  job: Pick<AgentJob, 'id' | 'attempt' | 'payload'>
  /** The job's GPUs (CUDA_VISIBLE_DEVICES); null leaves the variable unset (a host without GPUs). */
  gpus: readonly number[] | null
  /** The agent's environment, which the job sees only the allowed part of. */
  env: NodeJS.ProcessEnv
  /** More names of the agent's environment to pass on (`--pass-env`), checked by `passEnvRefusal`. */
  passEnv?: readonly string[] | undefined
  user?: JobUser | undefined
}

/**
 * Why `name` may not be passed with `--pass-env`, or null when it may. The agent's own variables
 * (GREENSHIFT_AGENT_TOKEN first of all) and anything else named GREENSHIFT_* are refused: a job is
 * a tenant's code and must never hold a secret of the service. CUDA_VISIBLE_DEVICES is the job's
 * GPUs, not the agent's.
 */
export function passEnvRefusal (name: string): string | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name)) return `--pass-env ${JSON.stringify(name)} is not an environment variable name`
  if (/^GREENSHIFT_/i.test(name)) return `--pass-env ${name} refused: a job never gets the agent's own GREENSHIFT_* variables (its token among them); the job's GREENSHIFT_JOB_* values are set by the agent`
  if (name === 'CUDA_VISIBLE_DEVICES') return '--pass-env CUDA_VISIBLE_DEVICES refused: the agent sets it to the job\'s GPUs'
  return null
}

/**
 * The job's whole environment: BASE_ENV and the `--pass-env` names (when set in the agent's),
 * CUDA_VISIBLE_DEVICES for its GPUs, and the GREENSHIFT_JOB_* values identifying the run. A name
 * `passEnvRefusal` refuses is skipped here too, whoever built the list.
 */
export function jobEnv (input: JobEnvInput, progressFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const name of [...BASE_ENV, ...(input.passEnv ?? [])]) {
    const value = input.env[name]
    if (value !== undefined && passEnvRefusal(name) === null) env[name] = value
  }
  if (input.user !== undefined) env.HOME = input.user.home
  if (input.gpus !== null) env.CUDA_VISIBLE_DEVICES = input.gpus.join(',')
  env.GREENSHIFT_JOB_ID = input.job.id
  env.GREENSHIFT_JOB_ATTEMPT = String(input.job.attempt)
  env.GREENSHIFT_JOB_PAYLOAD = JSON.stringify(input.job.payload ?? null)
  env.GREENSHIFT_JOB_PROGRESS_FILE = progressFile
  return env
}

/**
 * The account `name` (or a numeric uid) through the system's user database (`getent passwd`, so
 * LDAP and other NSS sources count), or a one-line reason it cannot be used. Root is refused: a
 * job running as root can read the agent's memory, which `--run-as` is there to prevent.
 */
export function lookupUser (name: string): JobUser | string {
  let line: string
  try {
    line = execFileSync('getent', ['passwd', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).split('\n')[0] ?? ''
  } catch {
    return `--run-as ${name}: no such user (getent passwd ${name} found none)`
  }
  const [user = '', , uidText, gidText, , home = ''] = line.split(':')
  const uid = Number(uidText)
  const gid = Number(gidText)
  if (user === '' || !Number.isInteger(uid) || uid < 0 || !Number.isInteger(gid) || gid < 0) return `--run-as ${name}: cannot read its passwd entry`
  if (uid === 0) return `--run-as ${name} is root, which would give the job the agent's own rights`
  return { name: user, uid, gid, home: home === '' ? '/' : home }
}

/** A job as the claim call hands it to an agent. */
export interface AgentJob {
  id: string
  attempt: number
  name: string
  /** argv, run without a shell; null when the job was submitted without one (the agent cannot run it). */
  command: string[] | null
  payload: unknown
  gpus: number
  durationMinutes: number
  deadline: string
  labels: Record<string, string>
}

/** A successful claim: the job, how often to heartbeat, and the token's pool when the server says it. */
export interface Claim {
  job: AgentJob
  heartbeatMs: number
  pool: string | null
  /**
   * The claim secret, sent with every report on this run: the server refuses reports without it,
   * so another holder of the pool token cannot report on this run. Kept in memory only, never
   * logged, never given to the job.
   */
  secret: string
}

/** A claim reply the agent cannot use; the job is then left to the server's heartbeat timeout. */
export class BadClaimError extends Error {
  constructor (message: string) {
    super(`bad claim reply: ${message}`)
    this.name = 'BadClaimError'
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function stringMap (v: unknown): Record<string, string> {
  if (!isObject(v)) return {}
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
}

/**
 * Checks the 200 body of `POST /v1/agent/claim`. Only what the agent relies on is required (id,
 * attempt, command, the claim secret); the rest gets harmless defaults so that a server adding or loosening a field
 * does not strand a job that was already marked running. heartbeatSeconds below 0.05 s is raised
 * to it so a zero can never make the agent spin.
 */
export function parseClaim (body: unknown): Claim {
  if (!isObject(body) || !isObject(body.job)) throw new BadClaimError('no job object')
  const j = body.job
  // The id names the job's log file, so it may not carry a path.
  if (typeof j.id !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(j.id)) throw new BadClaimError('job.id is not a job id')
  if (typeof j.attempt !== 'number' || !Number.isInteger(j.attempt)) throw new BadClaimError('job.attempt is not an integer')
  const command = Array.isArray(j.command) && j.command.every(a => typeof a === 'string') ? j.command as string[] : null
  if (j.command !== null && command === null) throw new BadClaimError('job.command is neither an array of strings nor null')
  // Without it every report would be refused: better to leave the job to the server's timeout at once.
  if (typeof body.claim !== 'string' || body.claim === '') throw new BadClaimError('no claim secret')
  const seconds = typeof body.heartbeatSeconds === 'number' && Number.isFinite(body.heartbeatSeconds) ? body.heartbeatSeconds : 15
  return {
    job: {
      id: j.id,
      attempt: j.attempt,
      name: typeof j.name === 'string' ? j.name : '',
      command,
      payload: j.payload ?? null,
      gpus: typeof j.gpus === 'number' ? j.gpus : 0,
      durationMinutes: typeof j.durationMinutes === 'number' ? j.durationMinutes : 0,
      deadline: typeof j.deadline === 'string' ? j.deadline : '',
      labels: stringMap(j.labels)
    },
    heartbeatMs: Math.max(50, seconds * 1000),
    pool: typeof body.pool === 'string' ? body.pool : null,
    secret: body.claim
  }
}

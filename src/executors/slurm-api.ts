/**
 * The slurmrestd v0.0.38 wire format (Slurm 22.05), as greenshift reads and writes it. Pure: no
 * I/O. Field names and quirks were checked against a real slurmrestd (see
 * test/fixtures/slurm/README.md).
 */

/** One entry of a reply's `errors[]`. A 200 can carry errors too, so every reply is checked. */
export interface SlurmErrorEntry {
  /** `error_number` (job calls) or `error_code` (submit); null when Slurm gave neither. */
  number: number | null
  error: string
  description: string
}

/** Slurm's "Invalid job id specified": the job never existed or was purged after `MinJobAge`. */
export const UNKNOWN_JOB = 2017

/** What greenshift reads of a job record (`GET /job/{id}`, `GET /jobs`). Times are epoch seconds, 0 = none. */
export interface SlurmJob {
  id: number
  state: string
  reason: string
  comment: string
  /** The raw wait status: `exit 3` gives 768, a job killed by SIGKILL gives 9. */
  exitStatus: number | null
  startTime: number
  endTime: number
  /** Nodes allocated; '' for a job that never got any (e.g. cancelled while pending). */
  nodes: string
  /** e.g. `cpu=1,node=1,billing=1`; a finished job on a cluster with an energy plugin adds `energy=<joules>`. */
  tresAlloc: string
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const text = (v: unknown): string => typeof v === 'string' ? v : ''
const int = (v: unknown): number | null => typeof v === 'number' && Number.isFinite(v) ? v : null

/** The `errors[]` of a reply body; [] for a body without any (or not JSON at all). */
export function readErrors (body: unknown): SlurmErrorEntry[] {
  if (!isObject(body) || !Array.isArray(body.errors)) return []
  return body.errors.filter(isObject).map(e => ({
    number: int(e.error_number) ?? int(e.error_code),
    error: text(e.error),
    description: text(e.description)
  }))
}

/** `Invalid job id specified (2017): Unable to find JobId=9`, entries joined by '; '. */
export function describeErrors (errors: readonly SlurmErrorEntry[]): string {
  return errors.map(e => {
    const head = `${e.error === '' ? 'error' : e.error}${e.number === null ? '' : ` (${e.number})`}`
    return e.description === '' || e.description === e.error ? head : `${head}: ${e.description}`
  }).join('; ')
}

function toJob (raw: unknown): SlurmJob | undefined {
  if (!isObject(raw)) return undefined
  const id = int(raw.job_id)
  if (id === null || typeof raw.job_state !== 'string') return undefined
  return {
    id,
    state: raw.job_state,
    reason: text(raw.state_reason),
    comment: text(raw.comment),
    exitStatus: int(raw.exit_code),
    startTime: int(raw.start_time) ?? 0,
    endTime: int(raw.end_time) ?? 0,
    nodes: text(raw.nodes),
    tresAlloc: text(raw.tres_alloc_str)
  }
}

/** The job records of a `GET /job/{id}` or `GET /jobs` reply; records without an id or state are skipped. */
export function readJobs (body: unknown): SlurmJob[] {
  if (!isObject(body) || !Array.isArray(body.jobs)) return []
  return body.jobs.map(toJob).filter((j): j is SlurmJob => j !== undefined)
}

/** The `job_id` of a submit reply, or undefined when it has none. */
export function readSubmittedId (body: unknown): number | undefined {
  return isObject(body) ? int(body.job_id) ?? undefined : undefined
}

/**
 * The `begin_time` value for an instant. 22.05 parses it like `sbatch --begin`, so a number (which
 * its own OpenAPI schema asks for) is rejected with "Unable to parse time"; `uts<epoch s>` is exact and
 * free of time zones. Rounded up so a job never starts before its planned (carbon) window.
 */
export function beginTime (at: number): string {
  return `uts${Math.ceil(at / 1000)}`
}

/**
 * The mark a greenshift job carries in Slurm's `comment`, one per (job id, attempt): a repeated
 * dispatch finds the job it already submitted by it instead of submitting a second one.
 */
export function marker (jobId: string, attempt: number): string {
  return `greenshift:${jobId}:${attempt}`
}

import type { Dispatcher } from 'undici'
import { HOUR_MS, type ExecutorSpec, type Instant } from '../core/types.js'
import type { Executor, Handover, RunReport } from './executor.js'
import { beginTime, marker, readJobs, readSubmittedId, UNKNOWN_JOB, type SlurmJob } from './slurm-api.js'
import { SlurmError, slurmClient } from './slurm-client.js'
import { toReport } from './slurm-report.js'
import { submitBody } from './slurm-submit.js'

/** A pool's Slurm executor spec: slurmrestd URL, partition, user, and the variable holding its token. */
export type SlurmSpec = Extract<ExecutorSpec, { kind: 'slurm' }>

/** What the composition root passes besides the spec; everything but the token has a default. */
export interface SlurmExecutorOptions {
  /** The JWT for `spec.user` (the value of the variable `spec.tokenEnv` names). */
  token: string
  /** undici dispatcher; tests pass a MockAgent. */
  dispatcher?: Dispatcher | undefined
  /** How long before its planned start a job is handed to Slurm; default 48 h. */
  leadMs?: number | undefined
  /** Jobs' working directory, where `greenshift-<slurm id>.out` lands; default /tmp. */
  workDir?: string | undefined
  /** Per HTTP attempt, ms; default 10 s. */
  timeoutMs?: number | undefined
  /** Retries of repeatable calls on network errors and 502-504; default 2. */
  retries?: number | undefined
  /** Waits between retries; tests pass their own. */
  sleep?: ((ms: number) => Promise<void>) | undefined
}

/**
 * Slurm holds a job until its `begin_time` by itself, so jobs are handed over this long before
 * their window: a plan is still carried out while greenshift is down for up to two days.
 */
export const SLURM_LEAD_MS = 48 * HOUR_MS

const API = '/slurm/v0.0.38'

type Call = ReturnType<typeof slurmClient>

/** The record of Slurm job `ref`; undefined when Slurm does not know it (2017) or the ref is no job id. */
async function getJob (call: Call, ref: string, signal?: AbortSignal): Promise<SlurmJob | undefined> {
  if (!/^\d+$/.test(ref)) return undefined
  const reply = await call({ method: 'GET', path: `${API}/job/${ref}`, tolerate: [UNKNOWN_JOB], signal })
  return readJobs(reply.body).find(j => String(j.id) === ref)
}

/**
 * The Slurm job of a hand-over: by its ref when that job carries the hand-over's marker, else the
 * oldest job carrying the marker (one `GET /jobs`, which lists jobs until `MinJobAge` after they end).
 */
async function findJob (call: Call, h: Handover, signal?: AbortSignal): Promise<SlurmJob | undefined> {
  const mark = marker(h.job.id, h.attempt)
  if (h.ref !== null) {
    const job = await getJob(call, h.ref, signal)
    if (job?.comment === mark) return job
  }
  const reply = await call({ method: 'GET', path: `${API}/jobs`, signal })
  return readJobs(reply.body).filter(j => j.comment === mark).sort((a, b) => a.id - b.id)[0]
}

/**
 * The executor for a Slurm partition behind slurmrestd (v0.0.38, Slurm 22.05). Every method is
 * idempotent by (job id, attempt): the Slurm job carries `greenshift:<job id>:<attempt>` in its
 * comment, so a hand-over repeated after a crash (with or without the ref) finds the job it already
 * submitted, and a ref that Slurm has since given to another job is never taken for ours.
 */
export function createSlurmExecutor (spec: SlurmSpec, opts: SlurmExecutorOptions): Executor {
  const call = slurmClient({ url: spec.url, user: spec.user, token: opts.token, dispatcher: opts.dispatcher, timeoutMs: opts.timeoutMs, retries: opts.retries, sleep: opts.sleep })
  const workDir = opts.workDir ?? '/tmp'
  const find = async (h: Handover, signal?: AbortSignal) => await findJob(call, h, signal)

  async function dispatch (h: Handover, now: Instant, signal?: AbortSignal): Promise<{ ref: string }> {
    const found = await find(h, signal)
    if (found !== undefined) return { ref: String(found.id) }
    const body = submitBody(h, { partition: spec.partition, workDir, now })
    const reply = await call({ method: 'POST', path: `${API}/job/submit`, body, repeatable: false, signal })
    const id = readSubmittedId(reply.body)
    if (id === undefined) throw new SlurmError('bad-reply', `Slurm POST ${API}/job/submit: no job_id in the reply`)
    return { ref: String(id) }
  }

  async function reschedule (h: Handover, start: Instant, signal?: AbortSignal): Promise<void> {
    const job = await find(h, signal)
    if (job === undefined) throw new SlurmError('rejected', `Slurm has no job ${marker(h.job.id, h.attempt)} to reschedule`)
    // A start in the past makes the job eligible at once.
    await call({ method: 'POST', path: `${API}/job/${job.id}`, body: { begin_time: beginTime(start) }, signal })
  }

  async function cancel (h: Handover, signal?: AbortSignal): Promise<void> {
    const job = await find(h, signal)
    if (job === undefined) return
    // DELETE answers 200 for a job that has already finished, and 2017 once Slurm has purged it.
    await call({ method: 'DELETE', path: `${API}/job/${job.id}`, tolerate: [UNKNOWN_JOB], signal })
  }

  async function poll (h: Handover, signal?: AbortSignal): Promise<RunReport> {
    const mark = marker(h.job.id, h.attempt)
    if (h.ref === null) {
      const found = await find(h, signal)
      if (found === undefined) throw new SlurmError('rejected', `Slurm has no job ${mark}: dispatch it first`)
      return toReport(found, h.pool.pue)
    }
    const job = await getJob(call, h.ref, signal)
    if (job === undefined) return lost(`Slurm no longer knows job ${h.ref}`)
    if (job.comment !== mark) return lost(`Slurm job ${h.ref} is not ${mark} but "${job.comment.slice(0, 100)}": Slurm lost greenshift's job`)
    return toReport(job, h.pool.pue)
  }

  return { kind: 'slurm', leadMs: opts.leadMs ?? SLURM_LEAD_MS, dispatch, reschedule, cancel, poll }
}

function lost (detail: string): RunReport {
  return { state: 'failed', startedAt: null, finishedAt: null, exitCode: null, energyKwh: null, detail }
}

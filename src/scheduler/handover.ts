import { MINUTE_MS, type Instant, type Job, type JobRun, type Pool } from '../core/types.js'
import { isPermanent, type Executor, type Handover } from '../executors/executor.js'
import { appendEvent } from '../store/events.js'
import { updateRun } from '../store/runs.js'
import type { Deps } from './deps.js'
import { within, type Pass } from './pass.js'
import { refuseRun } from './refuse.js'
import { finishRun } from './runs.js'
import { errorMessage } from '../errors.js'

/** What handing a job over came to. */
export type HandoverOutcome = 'accepted' | 'retrying' | 'refused' | 'failed'

/**
 * A failed hand-over is tried again after 5 s, then 10, 20 … up to 2 min: a receiver that is down
 * for a minute gets its jobs within about 20 s of coming back, and one that stays down costs one
 * short call every 2 min instead of a timeout on every tick.
 */
export function handoverBackoffMs (tries: number): number {
  return Math.min(2 * MINUTE_MS, 5_000 * 2 ** Math.min(tries, 10))
}

/** What an executor is given about a run: the job, its plan, its pool, the attempt and the reference so far. */
export function handoverOf (job: Job, run: JobRun, pool: Pool): Handover | undefined {
  return job.plan === null ? undefined : { job, plan: job.plan, pool, attempt: run.attempt, ref: run.ref }
}

/**
 * Gives a dispatched job to its executor, within the pass's per-call timeout, and records the
 * reference it answers. A refusal for good (see `isPermanent`) ends the attempt at once (see
 * `refuseRun`). Any other failure is tried again after `handoverBackoffMs`, the first one noted as
 * an event for the job's owner; once the job can no longer finish by its deadline, it fails with
 * the executor's error as the cause.
 */
export async function handOver (deps: Deps, executor: Executor, h: Handover, run: JobRun, now: Instant, pass: Pass): Promise<HandoverOutcome> {
  const where = `the ${executor.kind} executor of ${h.pool.name}`
  try {
    const { ref } = await within(pass, `${where}: hand-over`, signal => executor.dispatch(h, now, signal))
    const accepted = await updateRun(deps.store.db, h.job.id, h.attempt, { ref, acceptedAt: now })
    if (accepted !== undefined) {
      await appendEvent(deps.store.db, {
        jobId: h.job.id, at: new Date(now), type: 'handed-over', reason: `${where} took the job${ref === null ? '' : ` as ${ref}`}`, data: { attempt: h.attempt, ref }
      })
    }
    return 'accepted'
  } catch (err) {
    if (isPermanent(err)) return await refuseRun(deps, h, executor.kind, errorMessage(err), now) ? 'refused' : 'failed'
    return await retryLater(deps, executor, where, h, run, err, now, pass)
  }
}

async function retryLater (deps: Deps, executor: Executor, where: string, h: Handover, run: JobRun, err: unknown, now: Instant, pass: Pass): Promise<HandoverOutcome> {
  const retryAt = now + handoverBackoffMs(run.handoverTries)
  deps.log.warn({ job: h.job.id, pool: h.pool.name, executor: executor.kind, err: errorMessage(err), retryAt: new Date(retryAt).toISOString() }, 'hand-over failed; will retry')
  const updated = await updateRun(deps.store.db, h.job.id, h.attempt, { detail: `hand-over failed: ${errorMessage(err)}`, retryAt })
  if (updated !== undefined && run.handoverTries === 0) {
    await appendEvent(deps.store.db, {
      jobId: h.job.id, at: new Date(now), type: 'handover-failed', reason: `${where} did not take the job (${errorMessage(err)}); trying again until it can no longer meet its deadline`, data: { attempt: h.attempt }
    })
  }
  if (now + h.job.durationMinutes * MINUTE_MS <= h.job.deadline) return 'retrying'
  // The executor may have taken it after all (a reply lost on the way back): tell it not to run it.
  await within(pass, `${where}: cancel`, signal => executor.cancel(h, signal)).catch(() => {})
  const detail = `deadline-missed: ${where} did not take the job in time (${errorMessage(err)})`
  await finishRun(deps, h.job.id, h.attempt, { exitCode: null, startedAt: null, finishedAt: now, energyKwh: null, detail, outcome: 'failed' }, now)
  return 'failed'
}

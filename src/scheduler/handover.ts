import type { Instant, Job, JobRun, Pool } from '../core/types.js'
import type { Executor, Handover } from '../executors/executor.js'
import { appendEvent } from '../store/events.js'
import { updateRun } from '../store/runs.js'
import type { Deps } from './deps.js'
import { finishRun } from './runs.js'

const message = (err: unknown): string => err instanceof Error ? err.message : String(err)

/** What an executor is given about a run: the job, its plan, its pool, the attempt and the reference so far. */
export function handoverOf (job: Job, run: JobRun, pool: Pool): Handover | undefined {
  return job.plan === null ? undefined : { job, plan: job.plan, pool, attempt: run.attempt, ref: run.ref }
}

/**
 * Gives a dispatched job to its executor and records the reference it answers. A failure is
 * retried on the next tick (the run stays unaccepted); once the job can no longer finish by its
 * deadline, it fails with the executor's error as the cause. Returns whether the executor took it.
 */
export async function handOver (deps: Deps, executor: Executor, h: Handover, now: Instant): Promise<boolean> {
  try {
    const { ref } = await executor.dispatch(h, now)
    const run = await updateRun(deps.store.db, h.job.id, h.attempt, { ref, acceptedAt: now })
    if (run !== undefined) {
      await appendEvent(deps.store.db, {
        jobId: h.job.id, at: new Date(now), type: 'handed-over', reason: `${executor.kind} executor of ${h.pool.name} took the job${ref === null ? '' : ` as ${ref}`}`, data: { attempt: h.attempt, ref }
      })
    }
    return true
  } catch (err) {
    deps.log.warn({ job: h.job.id, pool: h.pool.name, executor: executor.kind, err: message(err) }, 'hand-over failed; will retry')
    await updateRun(deps.store.db, h.job.id, h.attempt, { detail: `hand-over failed: ${message(err)}` })
    if (now + h.job.durationMinutes * 60_000 > h.job.deadline) {
      // The executor may have taken it after all (a reply lost on the way back): tell it not to run it.
      await executor.cancel(h).catch(() => {})
      const detail = `deadline-missed: the ${executor.kind} executor of ${h.pool.name} did not take the job in time (${message(err)})`
      await finishRun(deps, h.job.id, h.attempt, { exitCode: null, startedAt: null, finishedAt: now, energyKwh: null, detail, outcome: 'failed' }, now)
    }
    return false
  }
}

import { MINUTE_MS, type ExecutorKind, type Instant, type Job, type Pool } from '../core/types.js'
import { appendEvent } from '../store/events.js'
import { jobsInState, transitionJob } from '../store/jobs.js'
import { listPools } from '../store/pools.js'
import { insertRun, openRuns } from '../store/runs.js'
import { replacePlannedSegments } from '../store/segments.js'
import type { Deps } from './deps.js'
import { executorOf } from './executors.js'
import { handOver, handoverOf } from './handover.js'
import type { LeaseGuard } from './lease.js'

export interface DispatchResult {
  /** Jobs moved planned → dispatched this pass. */
  dispatched: number
  /** Hand-overs the executors accepted this pass (new ones and repeats of unconfirmed ones). */
  handedOver: number
  /** Planned jobs sent back to planning because their pool was disabled or removed. */
  unplanned: number
}

/**
 * Dispatches every planned job whose window opens within its executor's lead time (at once for
 * agent and webhook pools; ahead of time for Slurm, which holds the job until `begin_time`), then
 * hands over each dispatched job whose executor has not confirmed it yet. The move to `dispatched`
 * (with a new attempt number and its run row) commits before the executor is called, so a leader
 * that dies in between leaves a job the next leader hands over again: at-least-once towards the
 * executor, which recognises the (job, attempt) it already has, so the job never runs twice. The
 * lease is renewed before every executor call and checked in every dispatch transaction, so a
 * leader that lost it mid-pass stops instead of handing over beside the new one.
 */
export async function dispatchDue (deps: Deps, now: Instant, guard: LeaseGuard): Promise<DispatchResult> {
  const pools = new Map((await listPools(deps.store.db)).map(p => [p.name, p]))
  const result: DispatchResult = { dispatched: 0, handedOver: 0, unplanned: 0 }
  for (const job of await jobsInState(deps.store.db, ['planned'])) {
    const pool = job.plan === null ? undefined : pools.get(job.plan.pool)
    const start = job.plan?.segments[0]?.start
    if (start === undefined) continue
    if (pool === undefined || !pool.enabled) {
      result.unplanned += await unplan(deps, job, now) ? 1 : 0
      continue
    }
    const executor = executorOf(deps, pool)
    if (now < start - executor.leadMs) continue
    if (await markDispatched(deps, job, job.attempt + 1, pool, executor.kind, now, guard)) result.dispatched++
  }
  for (const { job, run } of await openRuns(deps.store.db, ['dispatched'])) {
    const pool = pools.get(run.pool)
    if (run.acceptedAt !== null || pool === undefined) continue
    const h = handoverOf(job, run, pool)
    if (h === undefined) continue
    await guard.renew()
    if (await handOver(deps, executorOf(deps, pool), h, now)) result.handedOver++
  }
  return result
}

/** A planned job whose pool was disabled or removed goes back to `pending`: the next plan picks an enabled pool. */
async function unplan (deps: Deps, job: Job, now: Instant): Promise<boolean> {
  return await deps.store.db.transaction().execute(async trx => {
    const reason = `pool ${job.plan?.pool ?? '(none)'} is disabled or gone; planning again`
    const moved = await transitionJob(trx, { id: job.id, from: ['planned'], to: 'pending', at: new Date(now), reason, plan: null })
    if (moved !== undefined) await replacePlannedSegments(trx, job.id, '', [])
    return moved !== undefined
  })
}

async function markDispatched (deps: Deps, job: Job, attempt: number, pool: Pool, kind: ExecutorKind, now: Instant, guard: LeaseGuard): Promise<boolean> {
  return await deps.store.db.transaction().execute(async trx => {
    await guard.check(trx)
    const reason = `dispatched to the ${kind} executor of ${pool.name} (attempt ${attempt})`
    const moved = await transitionJob(trx, { id: job.id, from: ['planned'], to: 'dispatched', at: new Date(now), reason, attempt, data: { attempt } })
    if (moved === undefined) return false
    await insertRun(trx, { jobId: job.id, attempt, pool: pool.name, executor: kind, at: now })
    const lastStart = job.deadline - job.durationMinutes * MINUTE_MS
    if (now > lastStart) {
      await appendEvent(trx, {
        jobId: job.id, at: new Date(now), type: 'deadline-at-risk',
        reason: `dispatched ${Math.round((now - lastStart) / MINUTE_MS)} min after the last start that meets the deadline (${new Date(lastStart).toISOString()}): the scheduler was not running`
      })
    }
    return true
  })
}

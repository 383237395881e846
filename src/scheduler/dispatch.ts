import type { ExecutorKind, Instant, Pool } from '../core/types.js'
import { jobsWithAttempt, transitionJob } from '../store/jobs.js'
import { listPools } from '../store/pools.js'
import { getRun, insertRun } from '../store/runs.js'
import type { Deps } from './deps.js'
import { executorOf } from './executors.js'
import { handOver, handoverOf } from './handover.js'

export interface DispatchResult {
  /** Jobs moved planned → dispatched this pass. */
  dispatched: number
  /** Hand-overs the executors accepted this pass (new ones and repeats of unconfirmed ones). */
  handedOver: number
}

/**
 * Dispatches every planned job whose window opens within its executor's lead time (at once for
 * agent and webhook pools; ahead of time for Slurm, which holds the job until `begin_time`), then
 * hands over each dispatched job whose executor has not confirmed it yet. The move to `dispatched`
 * (with a new attempt number and its run row) commits before the executor is called, so a leader
 * that dies in between leaves a job the next leader hands over again: at-least-once towards the
 * executor, which recognises the (job, attempt) it already has, so the job never runs twice.
 */
export async function dispatchDue (deps: Deps, now: Instant): Promise<DispatchResult> {
  const pools = new Map((await listPools(deps.store.db)).map(p => [p.name, p]))
  let dispatched = 0
  for (const job of await jobsWithAttempt(deps.store.db, ['planned'])) {
    const pool = job.plan === null ? undefined : pools.get(job.plan.pool)
    const start = job.plan?.segments[0]?.start
    if (pool === undefined || start === undefined) continue
    const executor = executorOf(deps, pool)
    if (now < start - executor.leadMs) continue
    if (await markDispatched(deps, job.id, job.attempt + 1, pool, executor.kind, now)) dispatched++
  }
  let handedOver = 0
  for (const job of await jobsWithAttempt(deps.store.db, ['dispatched'])) {
    const run = await getRun(deps.store.db, job.id, job.attempt)
    const pool = pools.get(run?.pool ?? '')
    if (run === undefined || run.acceptedAt !== null || run.outcome !== null || pool === undefined) continue
    const h = await handoverOf(deps, job, job.attempt, pool)
    if (h !== undefined && await handOver(deps, executorOf(deps, pool), h, now)) handedOver++
  }
  return { dispatched, handedOver }
}

async function markDispatched (deps: Deps, jobId: string, attempt: number, pool: Pool, kind: ExecutorKind, now: Instant): Promise<boolean> {
  return await deps.store.db.transaction().execute(async trx => {
    const reason = `dispatched to the ${kind} executor of ${pool.name} (attempt ${attempt})`
    const moved = await transitionJob(trx, { id: jobId, from: ['planned'], to: 'dispatched', at: new Date(now), reason, attempt, data: { attempt } })
    if (moved === undefined) return false
    await insertRun(trx, { jobId, attempt, pool: pool.name, executor: kind, at: now })
    return true
  })
}

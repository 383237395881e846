import { MINUTE_MS, type ExecutorKind, type Instant, type Job, type Pool } from '../core/types.js'
import { appendEvent } from '../store/events.js'
import { transitionJob } from '../store/jobs.js'
import { listPools } from '../store/pools.js'
import { insertRun, openRuns, type OpenRun } from '../store/runs.js'
import { replacePlannedSegments } from '../store/segments.js'
import { plannedJobsDue } from '../store/waiting.js'
import type { Deps } from './deps.js'
import { executorOf } from './executors.js'
import { handOver, handoverOf } from './handover.js'
import { forEachBounded, type Pass } from './pass.js'
import { isolated } from './step.js'

export interface DispatchResult {
  /** Jobs moved planned → dispatched this pass. */
  dispatched: number
  /** Hand-overs the executors accepted this pass (new ones and repeats of unconfirmed ones). */
  handedOver: number
  /** Hand-overs executors refused for good this pass (the jobs were planned elsewhere or failed). */
  refused: number
  /** Planned jobs sent back to planning because their pool was disabled or removed. */
  unplanned: number
}

/**
 * Dispatches every planned job whose window opens within its executor's lead time (at once for
 * agent and webhook pools; ahead of time for Slurm, which holds the job until `begin_time`), then
 * hands over each dispatched job whose executor has not confirmed it yet and whose back-off has
 * passed. The move to `dispatched` (with a new attempt number and its run row) commits before the
 * executor is called, so a leader that dies in between leaves a job the next leader hands over
 * again: at-least-once towards the executor, which recognises the (job, attempt) it already has, so
 * the job never runs twice. Hand-overs run concurrently within the pass's limits (see `Pass`); the
 * lease is renewed before each and checked in every dispatch transaction, so a leader that lost it
 * stops instead of handing over beside the new one. One job's failure is logged in `errors`.
 */
export async function dispatchDue (deps: Deps, now: Instant, pass: Pass, errors: string[]): Promise<DispatchResult> {
  const pools = new Map((await listPools(deps.store.db)).map(p => [p.name, p]))
  const result: DispatchResult = { dispatched: 0, handedOver: 0, refused: 0, unplanned: 0 }
  const enabled = [...pools.values()].filter(p => p.enabled)
  const lead = Math.max(0, ...enabled.map(p => executorOf(deps, p).leadMs))
  for (const job of await plannedJobsDue(deps.store.db, now + lead, enabled.map(p => p.name))) {
    await isolated(deps, errors, `dispatch job ${job.id}`, async () => { await dispatchOne(deps, job, pools, now, pass, result) }, undefined)
  }
  const due = (await openRuns(deps.store.db, ['dispatched']))
    .filter(({ run }) => run.acceptedAt === null && pools.has(run.pool) && (run.retryAt === null || run.retryAt <= now))
  await forEachBounded(pass, due, async open => {
    await isolated(deps, errors, `hand over job ${open.job.id}`, async () => { await handOverOne(deps, open, pools, now, pass, result) }, undefined)
  })
  return result
}

async function dispatchOne (deps: Deps, job: Job & { attempt: number }, pools: Map<string, Pool>, now: Instant, pass: Pass, result: DispatchResult): Promise<void> {
  const pool = job.plan === null ? undefined : pools.get(job.plan.pool)
  const start = job.plan?.segments[0]?.start
  if (start === undefined) return
  if (pool === undefined || !pool.enabled) {
    result.unplanned += await unplan(deps, job, now) ? 1 : 0
    return
  }
  const executor = executorOf(deps, pool)
  if (now < start - executor.leadMs) return
  if (!await markDispatched(deps, job, job.attempt + 1, pool, executor.kind, now, pass)) return
  result.dispatched++
  deps.metrics?.dispatchLag.observe({ pool: pool.name }, Math.max(0, now - start) / 1000)
}

async function handOverOne (deps: Deps, { job, run }: OpenRun, pools: Map<string, Pool>, now: Instant, pass: Pass, result: DispatchResult): Promise<void> {
  const pool = pools.get(run.pool)
  const h = pool === undefined ? undefined : handoverOf(job, run, pool)
  if (pool === undefined || h === undefined) return
  const outcome = await handOver(deps, executorOf(deps, pool), h, run, now, pass)
  if (outcome === 'accepted') result.handedOver++
  if (outcome === 'refused') result.refused++
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

async function markDispatched (deps: Deps, job: Job, attempt: number, pool: Pool, kind: ExecutorKind, now: Instant, pass: Pass): Promise<boolean> {
  return await deps.store.db.transaction().execute(async trx => {
    await pass.guard.check(trx)
    const reason = `dispatched to the ${kind} executor of ${pool.name} (attempt ${attempt})`
    const moved = await transitionJob(trx, { id: job.id, from: ['planned'], to: 'dispatched', at: new Date(now), reason, attempt, data: { attempt } })
    if (moved === undefined) return false
    await insertRun(trx, { jobId: job.id, attempt, pool: pool.name, model: pool, executor: kind, at: now })
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

import { MINUTE_MS, type ExecutorKind, type Instant } from '../core/types.js'
import type { Handover } from '../executors/executor.js'
import { appendEvent } from '../store/events.js'
import { transitionJob } from '../store/jobs.js'
import { listPools } from '../store/pools.js'
import { updateRun } from '../store/runs.js'
import { replacePlannedSegments } from '../store/segments.js'
import type { Deps } from './deps.js'
import { allowedPools } from './resolve.js'

/**
 * The executor refused the hand-over for good (a 4xx: Slurm cannot parse or place the job, a
 * receiver does not take it): the attempt ends at once as `refused`, with the executor's message as
 * an event. The pool joins the job's refused pools; the job goes back to planning when another
 * allowed pool with enough GPUs remains and the job still fits before its deadline, else it fails
 * with the cause. Returns whether this call closed the run (the loser of a race does nothing).
 */
export async function refuseRun (deps: Deps, h: Handover, kind: ExecutorKind, detail: string, now: Instant): Promise<boolean> {
  const { job, pool, attempt } = h
  return await deps.store.db.transaction().execute(async trx => {
    const closed = await updateRun(trx, job.id, attempt, { outcome: 'refused', finishedAt: now, detail })
    if (closed === undefined) return false
    const why = `the ${kind} executor of ${pool.name} refused the job: ${detail}`
    await appendEvent(trx, { jobId: job.id, at: new Date(now), type: 'handover-refused', reason: why, data: { attempt, pool: pool.name } })
    const others = allowedPools({ ...job, refusedPools: [...job.refusedPools, pool.name] }, await listPools(trx)).filter(p => p.gpuCount >= job.gpus)
    const fits = now + job.durationMinutes * MINUTE_MS <= job.deadline
    const base = { id: job.id, from: ['dispatched' as const], at: new Date(now), plan: null, refusedPool: pool.name }
    if (others.length > 0 && fits) {
      await transitionJob(trx, { ...base, to: 'pending', reason: `${why}; planning again on another allowed pool (${others.map(p => p.name).join(', ')})` })
    } else {
      const rest = others.length === 0 ? 'no other allowed pool remains' : 'it no longer fits before its deadline'
      await transitionJob(trx, { ...base, to: 'failed', reason: `${why}; ${rest}` })
    }
    await replacePlannedSegments(trx, job.id, pool.name, [])
    return true
  })
}

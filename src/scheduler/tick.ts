import { planJointly } from '../core/joint.js'
import { planJobs } from '../core/planner.js'
import { MINUTE_MS, type Instant, type Job, type PlanOutcome } from '../core/types.js'
import { activeReservations, jobsInState, transitionJob } from '../store/jobs.js'
import { tryAcquireLease } from '../store/leases.js'
import { listPools, lockPools } from '../store/pools.js'
import { replacePlannedSegments } from '../store/segments.js'
import type { Deps } from './deps.js'
import { refreshStale } from './forecasts.js'
import { poolViews, toJobPlan, withReservations } from './plan.js'
import { allowedPools, planRequest } from './resolve.js'
import { collectRuns, type CollectResult } from './collect.js'
import { dispatchDue, type DispatchResult } from './dispatch.js'
import { refreshLedgers } from './ledger.js'
import { replanWaiting } from './replan.js'
import { LEASE_NAME, leaseGuard, LeaseLostError } from './lease.js'

export { LEASE_NAME } from './lease.js'


export interface TickResult extends DispatchResult, CollectResult {
  leader: boolean
  refreshedZones: number
  replanned: number
  planned: number
  failed: number
  stillPending: number
  ledgers: number
}

const IDLE: Omit<TickResult, 'leader'> = {
  refreshedZones: 0, replanned: 0, planned: 0, failed: 0, stillPending: 0, dispatched: 0, handedOver: 0, unplanned: 0, polled: 0, finished: 0, cancelled: 0, lost: 0, expired: 0, ledgers: 0
}

/**
 * One scheduler pass at `now`, by the single leader only (the lease row; works on PGlite and
 * PostgreSQL): refresh stale forecasts; re-plan waiting jobs when a forecast changed; plan the
 * jobs still `pending` jointly; dispatch jobs whose window opened (or whose latest safe start
 * came); bring in executors' results, pass cancels on and release runs of lost agents; and
 * settle the ledgers of finished jobs as actual intensity arrives.
 */
export async function tick (deps: Deps, holder: string, now: Instant, leaseMs: number, clock: () => Instant = () => now): Promise<TickResult> {
  const leader = await tryAcquireLease(deps.store.db, LEASE_NAME, holder, new Date(now), leaseMs)
  if (!leader) return { leader, ...IDLE }
  const guard = leaseGuard(deps, holder, leaseMs, clock)
  const result: TickResult = { leader, ...IDLE }
  try {
    result.refreshedZones = await refreshStale(deps, now)
    if (result.refreshedZones > 0) result.replanned = await replanWaiting(deps, now, guard)
    Object.assign(result, await planPending(deps, now))
    Object.assign(result, await dispatchDue(deps, now, guard))
    Object.assign(result, await collectRuns(deps, now, guard))
    result.ledgers = (await refreshLedgers(deps, now)).computed
  } catch (err) {
    if (!(err instanceof LeaseLostError)) throw err
    deps.log.warn({ holder }, 'lost the scheduler lease during a pass; leaving the rest to the new leader')
    result.leader = false
  }
  return result
}

/**
 * Past its latest safe start a pending job cannot wait for data any longer: it is planned to start
 * at once on a flat placeholder series, labelled as fallback with source `unavailable`.
 */
function placeholderViews (views: ReturnType<typeof withReservations>, now: Instant, until: Instant): ReturnType<typeof withReservations> {
  return views.map(v => v.series.points.length > 0 ? v : {
    ...v,
    series: { ...v.series, source: 'unavailable', fallbackFrom: now, points: [{ start: now, end: until, gPerKwh: 0 }] }
  })
}

async function planPending (deps: Deps, now: Instant): Promise<{ planned: number, failed: number, stillPending: number }> {
  const pending = await jobsInState(deps.store.db, ['pending'])
  if (pending.length === 0) return { planned: 0, failed: 0, stillPending: 0 }
  const pools = await listPools(deps.store.db)
  const horizon = Math.max(...pending.map(j => j.deadline))
  // Forecasts are read before the transaction: PGlite has one connection, held by the transaction.
  const views = await poolViews(deps, pools, [], now, horizon, now)
  const marginMs = deps.config.planning.safetyMarginMinutes * MINUTE_MS
  return await deps.store.db.transaction().execute(async trx => {
    await lockPools(trx, pools.map(p => p.name))
    const reserved = withReservations(views, await activeReservations(trx))
    let failed = 0
    const plannable: Job[] = []
    for (const job of pending) {
      const reason = job.deadline - job.durationMinutes * MINUTE_MS < now ? 'deadline-missed: no plan could be made before the job had to start'
        : allowedPools(job, pools).length === 0 ? null : undefined
      if (reason === undefined) plannable.push(job)
      else if (reason !== null) {
        await transitionJob(trx, { id: job.id, from: ['pending'], to: 'failed', at: new Date(now), reason })
        failed++
      }
    }
    const reqs = plannable.map(job => ({ id: job.id, ...planRequest(job, allowedPools(job, pools), now) }))
    const outcomes = planJointly(reqs, reserved, now, { safetyMarginMs: marginMs })
    const urgent = plannable.filter(j => outcomes.get(j.id)?.ok !== true && now >= j.deadline - j.durationMinutes * MINUTE_MS - marginMs)
    const forced = planJobs(reqs.filter(r => urgent.some(j => j.id === r.id)), placeholderViews(reserved, now, horizon), now, { safetyMarginMs: marginMs })
    let planned = 0
    for (const job of plannable) {
      if (await applyOutcome(trx, job, forced.get(job.id) ?? outcomes.get(job.id), now)) planned++
    }
    return { planned, failed, stillPending: pending.length - planned - failed }
  })
}

/** Moves a job to `planned` and then writes its segments, only if the transition took. */
async function applyOutcome (trx: Parameters<typeof replacePlannedSegments>[0], job: Job, outcome: PlanOutcome | undefined, now: Instant): Promise<boolean> {
  if (outcome === undefined || !outcome.ok) return false
  const plan = toJobPlan(outcome, now)
  const reason = `planned by the scheduler on ${plan.pool}${plan.expected.usesFallback ? ' (fallback intensity)' : ''}`
  const moved = await transitionJob(trx, { id: job.id, from: ['pending'], to: 'planned', at: new Date(now), reason, plan })
  if (moved === undefined) return false
  await replacePlannedSegments(trx, job.id, plan.pool, plan.segments)
  return true
}

import { planJointly } from '../core/joint.js'
import { planJobs } from '../core/planner.js'
import { MINUTE_MS, type Instant, type Job, type PlanOutcome, type Pool } from '../core/types.js'
import { activeReservations, jobsInState, transitionJob } from '../store/jobs.js'
import { tryAcquireLease } from '../store/leases.js'
import { listPools, lockPools } from '../store/pools.js'
import { replacePlannedSegments } from '../store/segments.js'
import type { Deps } from './deps.js'
import { refreshStale } from './forecasts.js'
import { poolViews, toJobPlan, withReservations } from './plan.js'
import { planRequest } from './resolve.js'

export const LEASE_NAME = 'scheduler'

export interface TickResult {
  leader: boolean
  refreshedZones: number
  planned: number
  failed: number
  stillPending: number
}

/**
 * One scheduler pass at `now`: take (or keep) the single-leader lease, refresh stale forecasts,
 * and plan the jobs still `pending` (accepted while no intensity data was available) jointly, so
 * they share capacity.
 */
export async function tick (deps: Deps, holder: string, now: Instant, leaseMs: number): Promise<TickResult> {
  const leader = await tryAcquireLease(deps.store.db, LEASE_NAME, holder, new Date(now), leaseMs)
  if (!leader) return { leader, refreshedZones: 0, planned: 0, failed: 0, stillPending: 0 }
  const refreshedZones = await refreshStale(deps, now)
  return { leader, refreshedZones, ...await planPending(deps, now) }
}

/** The enabled pools a job may use, baseline first; empty when its pools or zones are all gone. */
export function allowedPools (job: Pick<Job, 'pools' | 'zones' | 'preferredPool'>, all: Pool[]): Pool[] {
  let pools = all.filter(p => p.enabled)
  if (job.pools.length > 0) pools = job.pools.flatMap(n => pools.filter(p => p.name === n))
  else if (job.zones.length > 0) pools = pools.filter(p => job.zones.includes(p.zone))
  const preferred = pools.find(p => p.name === job.preferredPool)
  return preferred === undefined ? pools : [preferred, ...pools.filter(p => p !== preferred)]
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

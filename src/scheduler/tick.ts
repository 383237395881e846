import { planJobs } from '../core/planner.js'
import type { Instant, Pool } from '../core/types.js'
import { activeReservations, jobsInState, transitionJob } from '../store/jobs.js'
import { tryAcquireLease } from '../store/leases.js'
import { listPools } from '../store/pools.js'
import { replacePlannedSegments } from '../store/segments.js'
import type { Deps } from './deps.js'
import { refreshForecast } from './forecasts.js'
import { poolViews, toJobPlan, withReservations } from './plan.js'
import { planRequest } from './resolve.js'

export const LEASE_NAME = 'scheduler'

export interface TickResult {
  leader: boolean
  refreshedZones: number
  planned: number
  stillPending: number
}

/**
 * One scheduler pass at `now`: take (or keep) the single-leader lease, refresh every zone's
 * forecast, and plan the jobs still `pending` (accepted while no intensity data was available),
 * jointly so they share capacity fairly.
 */
export async function tick (deps: Deps, holder: string, now: Instant, leaseMs: number): Promise<TickResult> {
  const leader = await tryAcquireLease(deps.store.db, LEASE_NAME, holder, new Date(now), leaseMs)
  if (!leader) return { leader, refreshedZones: 0, planned: 0, stillPending: 0 }
  let refreshedZones = 0
  for (const zone of deps.providers.keys()) {
    if (await refreshForecast(deps, zone, now) > 0) refreshedZones++
  }
  const planned = await planPending(deps, now)
  return { leader, refreshedZones, ...planned }
}

function allowedPools (job: { pools: string[], zones: string[], preferredPool: string | null }, all: Pool[]): Pool[] {
  let pools = all.filter(p => p.enabled)
  if (job.pools.length > 0) pools = job.pools.flatMap(n => pools.filter(p => p.name === n))
  else if (job.zones.length > 0) pools = pools.filter(p => job.zones.includes(p.zone))
  const preferred = pools.find(p => p.name === job.preferredPool)
  return preferred === undefined ? pools : [preferred, ...pools.filter(p => p !== preferred)]
}

async function planPending (deps: Deps, now: Instant): Promise<{ planned: number, stillPending: number }> {
  const pending = await jobsInState(deps.store.db, ['pending'])
  if (pending.length === 0) return { planned: 0, stillPending: 0 }
  const pools = await listPools(deps.store.db)
  const horizon = Math.max(...pending.map(j => j.deadline))
  // Forecasts are read before the transaction: PGlite has one connection, held by the transaction.
  const views = await poolViews(deps, pools, [], now, horizon, now)
  return await deps.store.db.transaction().execute(async trx => {
    const reqs = pending.map(job => ({ id: job.id, ...planRequest(job, allowedPools(job, pools), now) }))
    const outcomes = planJobs(reqs, withReservations(views, await activeReservations(trx)), now, { safetyMarginMs: deps.config.planning.safetyMarginMinutes * 60_000 })
    let planned = 0
    for (const job of pending) {
      const outcome = outcomes.get(job.id)
      if (outcome === undefined || !outcome.ok) continue
      const plan = toJobPlan(outcome, now)
      await replacePlannedSegments(trx, job.id, plan.pool, plan.segments)
      await transitionJob(trx, { id: job.id, from: ['pending'], to: 'planned', at: new Date(now), reason: `planned by tick on ${plan.pool}`, plan })
      planned++
    }
    return { planned, stillPending: pending.length - planned }
  })
}

import type { CapacityLedger } from '../core/capacity.js'
import { planJob, type PoolView } from '../core/planner.js'
import { prepare } from '../core/series.js'
import type { Instant, Job, JobPlan, PlanOutcome, PlanRequest, Pool, Reservation, Series } from '../core/types.js'
import { ApiError, errorMessage, invalidField } from '../errors.js'
import { isDatabaseUnavailable } from '../store/unavailable.js'
import { forecastSeries } from './forecasts.js'
import type { Deps } from './deps.js'

/**
 * Builds each pool's view: its zone's newest forecast over [from, to) and its reservations. A zone
 * whose series cannot be read or built gets an empty one (logged), so its pools are planned like
 * pools without data while every other zone is planned as usual; an unreachable database is thrown.
 */
export async function poolViews (deps: Deps, pools: Pool[], reservations: Reservation[], from: Instant, to: Instant, now: Instant): Promise<PoolView[]> {
  const zones = [...new Set(pools.map(p => p.zone))]
  const series = new Map(await Promise.all(zones.map(async z => [z, await zoneSeries(deps, z, from, to, now)] as const)))
  return pools.map(pool => ({
    pool,
    series: series.get(pool.zone) ?? emptySeries(pool.zone),
    reservations: reservations.filter(r => r.pool === pool.name)
  }))
}

const emptySeries = (zone: string): Series => ({ zone, signal: 'average', source: 'none', points: [] })

async function zoneSeries (deps: Deps, zone: string, from: Instant, to: Instant, now: Instant): Promise<Series> {
  try {
    const series = await forecastSeries(deps, zone, from, to, now)
    // The planner prepares it again; preparing here lays a malformed series' failure on this zone alone.
    prepare(series)
    return series
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw err
    deps.log.error({ zone, err: errorMessage(err) }, 'the zone\'s intensity cannot be used; its pools are planned without it')
    return emptySeries(zone)
  }
}

/** The same views with the reservations read inside the planning transaction. */
export function withReservations (views: PoolView[], reservations: Reservation[]): PoolView[] {
  return views.map(v => ({ ...v, reservations: reservations.filter(r => r.pool === v.pool.name) }))
}

/**
 * Runs the planner for one request and turns the outcome into a stored plan, or undefined when data
 * is missing. Reservations come from `reserved` when given, else from the views.
 */
export function planFor (req: PlanRequest, views: PoolView[], now: Instant, deps: Deps, reserved?: CapacityLedger): { outcome: PlanOutcome, plan: JobPlan | undefined } {
  const outcome = planJob(req, views, now, { safetyMarginMs: deps.config.planning.safetyMarginMinutes * 60_000 }, reserved)
  if (!outcome.ok) {
    if (outcome.reason === 'no-intensity-data') return { outcome, plan: undefined }
    throw failureError(outcome.reason, outcome.detail)
  }
  return { outcome, plan: toJobPlan(outcome, now) }
}

/** Maps a planner failure to the HTTP problem a client can act on. */
function failureError (reason: string, detail: string): ApiError {
  switch (reason) {
    case 'deadline-passed': return invalidField('deadline', detail)
    case 'window-too-short': return invalidField('durationMinutes', detail)
    case 'too-many-gpus': return invalidField('gpus', detail)
    case 'no-eligible-pool': return invalidField('pools', detail)
    case 'no-capacity': return new ApiError(409, 'no-capacity', detail, [{ field: 'deadline', message: detail }])
    default: return new ApiError(422, reason, detail)
  }
}

export function toJobPlan (outcome: Extract<PlanOutcome, { ok: true }>, now: Instant): JobPlan {
  const { placement, baseline } = outcome
  return {
    pool: placement.pool,
    zone: placement.zone,
    segments: placement.segments,
    latestSafeStart: outcome.latestSafeStart,
    energyKwh: placement.energyKwh,
    expected: { grams: placement.grams, signal: placement.signal, source: placement.source, method: 'expected', usesFallback: placement.usesFallback },
    baseline: {
      grams: baseline.grams,
      signal: baseline.signal,
      source: baseline.source,
      method: 'expected',
      usesFallback: baseline.usesFallback,
      pool: baseline.pool,
      start: baseline.segments[0]?.start ?? now
    },
    expectedAvoidedGrams: baseline.grams - placement.grams,
    plannedAt: now
  }
}

/** The horizon over which a job's pools need intensity: from its earliest start to its deadline. */
export function jobSpan (job: Pick<Job, 'notBefore' | 'deadline'>, now: Instant): { from: Instant, to: Instant } {
  return { from: Math.max(now, job.notBefore ?? now), to: job.deadline }
}

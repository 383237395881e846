import type { CapacityLedger } from '../core/capacity.js'
import { planJob, type PoolView } from '../core/planner.js'
import { expectedGrams, type Instant, type Job, type JobPlan, type Placement, type PlanOutcome, type PlanRequest, type Pool, type Reservation, type Series } from '../core/types.js'
import { ApiError, errorMessage, invalidField } from '../errors.js'
import { isDatabaseUnavailable } from '../store/unavailable.js'
import { zoneVersions } from '../store/zone-versions.js'
import { cachedForecast, type CachedForecast } from './zone-cache.js'
import type { Deps } from './deps.js'

/**
 * Builds each pool's view: its zone's newest forecast over [from, to) and its reservations. The
 * zones' versions are read first, so the views are built on the data as it is now (see `zoneViews`).
 */
export async function poolViews (deps: Deps, pools: Pool[], reservations: Reservation[], from: Instant, to: Instant, now: Instant): Promise<PoolView[]> {
  const versions = await zoneVersions(deps.store.db, [...new Set(pools.map(p => p.zone))])
  const { views } = await zoneViews(deps, pools, from, to, now, { versions })
  return withReservations(views, reservations)
}

/**
 * Each pool's view without reservations: its zone's forecast over [from, to), from the zone cache
 * (no intensity query while the zone's data is unchanged), and the version each zone's series was
 * built at. With `opts.versions`, a zone cached at an older version is read again; without, a
 * cached zone is trusted and the caller checks the returned versions later (and calls
 * `forgetZones` when they moved). A zone whose series cannot be read or built gets an empty one
 * (logged), so its pools are planned like pools without data while every other zone is planned
 * as usual; an unreachable database is thrown.
 */
export async function zoneViews (deps: Deps, pools: Pool[], from: Instant, to: Instant, now: Instant, opts: { versions?: Map<string, string> } = {}): Promise<{ views: PoolView[], versions: Map<string, string> }> {
  const zones = [...new Set(pools.map(p => p.zone))]
  const built = new Map(await Promise.all(zones.map(async z => [z, await zoneSeries(deps, z, from, to, now, opts.versions?.get(z))] as const)))
  return {
    views: pools.map(pool => ({ pool, series: built.get(pool.zone)?.series ?? emptySeries(pool.zone), reservations: [] })),
    versions: new Map(zones.map(z => [z, built.get(z)?.version ?? '0']))
  }
}

const emptySeries = (zone: string): Series => ({ zone, signal: 'average', source: 'none', points: [] })

async function zoneSeries (deps: Deps, zone: string, from: Instant, to: Instant, now: Instant, version: string | undefined): Promise<CachedForecast> {
  try {
    return await cachedForecast(deps, zone, from, to, now, version)
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw err
    deps.log.error({ zone, err: errorMessage(err) }, 'the zone\'s intensity cannot be used; its pools are planned without it')
    return { series: emptySeries(zone), version: version ?? '0' }
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
    throw failureError(outcome.reason, outcome.detail, req.perPool === undefined ? 'durationMinutes' : 'work')
  }
  return { outcome, plan: toJobPlan(outcome, now) }
}

/** Maps a planner failure to the HTTP problem a client can act on; `duration` names what set the job's run time. */
function failureError (reason: string, detail: string, duration: 'durationMinutes' | 'work'): ApiError {
  switch (reason) {
    case 'deadline-passed': return invalidField('deadline', detail)
    case 'window-too-short': return invalidField(duration, detail)
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
    expected: expectedFigure(placement),
    baseline: {
      grams: expectedGrams(baseline),
      signal: baseline.signal,
      gas: baseline.gas,
      factorType: baseline.factorType,
      source: baseline.source,
      method: 'expected',
      usesFallback: baseline.usesFallback,
      pool: baseline.pool,
      start: baseline.segments[0]?.start ?? now,
      rule: baseline.rule,
      model: baseline.model
    },
    expectedAvoidedGrams: expectedGrams(baseline) - expectedGrams(placement),
    plannedAt: now
  }
}

/**
 * A placement's expected figure: its median grams (whatever its job's risk minimised) with the
 * p10–p90 band when the forecast gave one.
 */
export function expectedFigure (p: Placement): JobPlan['expected'] {
  const band = p.band === undefined ? {} : { band: { p10: p.band.p10, p90: p.band.p90 } }
  return { grams: expectedGrams(p), signal: p.signal, gas: p.gas, factorType: p.factorType, source: p.source, method: 'expected', usesFallback: p.usesFallback, ...band }
}

/** The horizon over which a job's pools need intensity: from its earliest start to its deadline. */
export function jobSpan (job: Pick<Job, 'notBefore' | 'deadline'>, now: Instant): { from: Instant, to: Instant } {
  return { from: Math.max(now, job.notBefore ?? now), to: job.deadline }
}

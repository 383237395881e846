import { overlaps, upperBound } from './intervals.js'
import { labelsOf, sameLabels } from './ledger-price.js'
import { iso } from './plan-request.js'
import { atQuantile, coveredUntil, fillGaps, hasBand, normalize, prepare, withFallback, type PreparedSeries } from './series.js'
import type { Instant, IntensityPoint, Interval, PlanOutcome, PlanRequest, Pool, Reservation, Risk, Series } from './types.js'

/** Everything the planner knows about one pool: the pool, its zone's series, its reservations. */
export interface PoolView {
  pool: Pool
  series: Series
  reservations: Reservation[]
}

/**
 * A pool ready to price windows on: its series extended to the planning horizon with the
 * labelled fallback, its holes filled (recorded in `filled`), prepared once. `prepared` is what
 * planning minimises: the median for a risk-neutral job, the p90 for a risk-averse one; `band`
 * holds all three (the same layout thrice when the series has no band).
 */
export interface PoolContext {
  pool: Pool
  series: Series
  prepared: PreparedSeries
  band: { p10: PreparedSeries, p50: PreparedSeries, p90: PreparedSeries }
  /** Whether any point of the series carries a band (a placement then states its own). */
  banded: boolean
  fallbackFrom: Instant | undefined
  filled: Interval[]
}

/**
 * Pools by name, each series prepared on first use for [from, until): one planJobs run prepares
 * each pool once however many jobs it prices. `undefined` for unknown names, `null` for a pool
 * whose series has no points at all.
 */
export class PoolCatalog {
  private readonly views = new Map<string, PoolView>()
  private readonly contexts = new Map<string, PoolContext | null>()
  private readonly averse = new Map<string, PoolContext | null>()

  constructor (views: readonly PoolView[], private readonly from: Instant, private readonly until: Instant) {
    for (const v of views) if (!this.views.has(v.pool.name)) this.views.set(v.pool.name, v)
  }

  /** Names of all known pools, in the order given. */
  names (): string[] {
    return [...this.views.keys()]
  }

  /** The pool named `name`, if known. */
  pool (name: string): Pool | undefined {
    return this.views.get(name)?.pool
  }

  /**
   * The pool's pricing context for a job of `risk`: undefined if unknown, null if its series has no
   * points. An averse context minimises the p90 (see `PoolContext`).
   */
  context (name: string, risk: Risk = 'neutral'): PoolContext | null | undefined {
    if (risk === 'averse') {
      const cached = this.averse.get(name)
      if (cached !== undefined) return cached
      const neutral = this.context(name)
      if (neutral === undefined) return undefined
      const ctx = neutral === null ? null : { ...neutral, prepared: neutral.band.p90 }
      this.averse.set(name, ctx)
      return ctx
    }
    const cached = this.contexts.get(name)
    if (cached !== undefined) return cached
    const view = this.views.get(name)
    if (view === undefined) return undefined
    const ctx = contextOf(view, this.from, this.until)
    this.contexts.set(name, ctx)
    return ctx
  }
}

/**
 * Prepared layouts of the series seen, keyed by their points array: the scheduler quotes many jobs
 * against the same forecast, and laying out 20 pools × 576 points costs more (~200 µs) than
 * pricing them. Series are values: a points array is never mutated once planned on (the length
 * and horizon are checked as a guard).
 */
const preparedCache = new WeakMap<readonly IntensityPoint[], Laid>()

/** A series laid out: its median, and its p10 and p90 when it has a band (else the median thrice). */
interface Laid { n: number, lastEnd: Instant, prepared: PreparedSeries, band: PoolContext['band'], banded: boolean }

function laidOut (series: Series): Laid {
  const points = series.points
  const lastEnd = points.at(-1)?.end ?? -Infinity
  const hit = preparedCache.get(points)
  if (hit !== undefined && hit.n === points.length && hit.lastEnd === lastEnd) return hit
  const laid = layOut(series, prepare(series))
  preparedCache.set(points, laid)
  return laid
}

/** The median's layout with the band's: a quote must not scan every point for a band it has not got. */
function layOut (series: Series, prepared: PreparedSeries): Laid {
  const banded = hasBand(series)
  const band = banded ? { p10: prepare(atQuantile(series, 'p10')), p50: prepared, p90: prepare(atQuantile(series, 'p90')) } : { p10: prepared, p50: prepared, p90: prepared }
  return { n: series.points.length, lastEnd: series.points.at(-1)?.end ?? -Infinity, prepared, band, banded }
}

function contextOf (view: PoolView, from: Instant, until: Instant): PoolContext | null {
  const own = laidOut(view.series)
  const p = own.prepared
  if (p.starts.length === 0) return null
  const complete = p.gaps.length === 0 && p.starts[0]! <= from && coveredUntil(p) >= until
  if (complete) return { pool: view.pool, series: view.series, prepared: p, band: own.band, banded: own.banded, fallbackFrom: view.series.fallbackFrom, filled: [] }
  const sorted = { ...view.series, points: normalize(view.series.points) }
  const { series, filled } = fillGaps(withFallback(sorted, until), from)
  const laid = layOut(series, prepare(series))
  return { pool: view.pool, series, prepared: laid.prepared, band: laid.band, banded: laid.banded, fallbackFrom: series.fallbackFrom, filled }
}

/**
 * A lower bound on the integral of any placement of ≥ d ms inside [from, to): d × the lowest
 * intensity there (−∞ if that is negative, as more time could then cost less). O(points in the
 * window), far cheaper than pricing the window's candidates.
 */
export function integralFloor (ctx: PoolContext, from: Instant, to: Instant, durationMs: number): number {
  const { starts, ends, values } = ctx.prepared
  let min = Infinity
  for (let i = upperBound(ends, from); i < starts.length && starts[i]! < to; i++) min = Math.min(min, values[i]!)
  return min >= 0 ? min * durationMs : -Infinity
}

/** True when a segment reaches the fallback profile or a filled hole. */
export function usesFallback (ctx: PoolContext, segments: readonly Interval[]): boolean {
  return segments.some(s =>
    (ctx.fallbackFrom !== undefined && s.end > ctx.fallbackFrom) ||
    ctx.filled.some(f => overlaps(s.start, s.end, f.start, f.end)))
}

/** The pools a job may compete on, and the one its baseline runs on. */
export type Eligibility =
  | { ok: true, baseline: PoolContext, competing: PoolContext[] }
  | Extract<PlanOutcome, { ok: false }>

/**
 * Pools named in `req.pools` (every known pool when the list is empty), in that order, that are
 * known, enabled, hold ≥ req.gpus GPUs and have intensity data. The first of them is the baseline
 * pool: where the job would have run at once (`planRequest` puts it first by the baseline rule).
 * Only pools whose series counts what the baseline's does (signal, gas and factor type) compete:
 * a marginal 700 g/kWh is not "worse" than an average 300 g/kWh, nor CO2 than CO2e.
 */
export function eligiblePools (req: PlanRequest, catalog: PoolCatalog): Eligibility {
  const names = [...new Set(req.pools.length > 0 ? req.pools : catalog.names())]
  const known = names.flatMap(n => catalog.pool(n) ?? [])
  const enabled = known.filter(p => p.enabled)
  if (enabled.length === 0) {
    const unknown = names.filter(n => catalog.pool(n) === undefined)
    const disabled = known.map(p => p.name)
    const why = [unknown.length > 0 ? `unknown: ${unknown.join(', ')}` : '', disabled.length > 0 ? `disabled: ${disabled.join(', ')}` : ''].filter(Boolean)
    return { ok: false, reason: 'no-eligible-pool', detail: `none of the pools [${names.join(', ')}] is known and enabled${why.length > 0 ? ` (${why.join('; ')})` : ''}` }
  }
  const fitting = enabled.filter(p => p.gpuCount >= req.gpus)
  if (fitting.length === 0) {
    const largest = enabled.reduce((a, b) => (b.gpuCount > a.gpuCount ? b : a))
    return { ok: false, reason: 'too-many-gpus', detail: `gpus ${req.gpus} exceeds every eligible pool; the largest, ${largest.name}, has ${largest.gpuCount}` }
  }
  const priced = fitting.flatMap(p => catalog.context(p.name, req.risk) ?? [])
  const baseline = priced[0]
  if (baseline === undefined) {
    return { ok: false, reason: 'no-intensity-data', detail: `no intensity data for the zones of pools ${fitting.map(p => `${p.name} (${p.zone})`).join(', ')}` }
  }
  const competing = priced.filter(c => sameLabels(labelsOf(c.series), labelsOf(baseline.series)))
  return { ok: true, baseline, competing }
}

/** The 'no-capacity' failure for a job whose pools are full over its whole window. */
export function noCapacity (req: PlanRequest, pools: readonly PoolContext[], deadline: Instant): Extract<PlanOutcome, { ok: false }> {
  return {
    ok: false,
    reason: 'no-capacity',
    detail: `no ${req.gpus} GPUs free for ${Math.round(req.durationMs / 60_000)} min between ${iso(req.earliestStart)} and ${iso(deadline)} on pools ${pools.map(c => c.pool.name).join(', ')}`
  }
}

import { gramsFromIntegral, jobPowerKw, type PowerRequest } from './emissions.js'
import { covers, integral, prepare } from './series.js'
import {
  HOUR_MS, type Instant, type IntensityPoint, type Interval, type JobLedger, type JobPlan, type LedgerFigure, type Pool, type Series
} from './types.js'

/** A zone's intensity as the ledger prices it: actuals first, the stored forecast for what they do not cover yet. */
export interface ZoneIntensity {
  actual: Series
  forecast: Series
}

/** Everything a job's ledger is computed from; see `computeLedger`. */
export interface LedgerInput {
  plan: JobPlan
  /** The closed run: where, over [start, end), and its energy at the wall when the executor measured it. */
  run: { pool: Pool, start: Instant, end: Instant, energyKwh: number | null }
  baselinePool: Pool
  /** The job's GPUs, planned duration and power overrides: the estimate when energy was not measured. */
  power: PowerRequest
  /** Intensity of the run pool's zone around the run, and of the baseline pool's zone around the baseline. */
  runZone: ZoneIntensity
  baselineZone: ZoneIntensity
  now: Instant
}

export type LedgerOutcome =
  | { ok: true, ledger: JobLedger }
  | { ok: false, reason: 'empty-run' | 'no-intensity-data', detail: string }

type Priced = Omit<LedgerFigure, 'method'>

/**
 * A job's ledger (DESIGN.md, "Baseline" and "Avoided"). Energy is the measured kWh, else the pool
 * power model over the actual run time. Actual spreads it at constant power over the run; baseline
 * spreads the same kW over the same duration from the plan's baseline start on the baseline pool.
 * Both are priced on actual intensity (what the actuals do not cover yet on the forecast, and the
 * figure is provisional); avoided is baseline − actual, or null when their signals differ. Embodied
 * carbon stays apart. Pure: `now` only bounds which actuals can be real.
 */
export function computeLedger (input: LedgerInput): LedgerOutcome {
  const { plan, run, baselinePool, now } = input
  const runMs = run.end - run.start
  if (!(runMs > 0)) return { ok: false, reason: 'empty-run', detail: `the run ended at ${run.end} without having run after ${run.start}` }
  const hours = runMs / HOUR_MS
  const measured = run.energyKwh !== null
  const energyKwh = run.energyKwh ?? jobPowerKw(input.power, run.pool) * hours
  const kw = energyKwh / hours
  const method = measured ? 'measured' : 'estimated'
  const runSpan = { start: run.start, end: run.end }
  const baselineSpan = { start: plan.baseline.start, end: plan.baseline.start + runMs }
  const actual = price(kw, runSpan, input.runZone, now)
  const baseline = price(kw, baselineSpan, input.baselineZone, now)
  if (actual === undefined) return noData(run.pool.zone, runSpan)
  if (baseline === undefined) return noData(baselinePool.zone, baselineSpan)
  const comparable = actual.signal === baseline.signal
  const embodied = run.pool.embodiedGPerGpuHour
  return {
    ok: true,
    ledger: {
      energyKwh,
      energyMethod: method,
      runMs,
      expected: { grams: plan.expected.grams, signal: plan.expected.signal, source: plan.expected.source, method: 'expected', provisional: false },
      baseline: { ...baseline, method, pool: baselinePool.name, zone: baselinePool.zone, start: baselineSpan.start },
      actual: { ...actual, method, pool: run.pool.name, zone: run.pool.zone, start: run.start, end: run.end },
      avoidedGrams: comparable ? baseline.grams - actual.grams : null,
      avoidedNote: comparable
        ? null
        : `baseline is on ${baseline.signal} intensity (${baseline.source}) and actual on ${actual.signal} (${actual.source}): signals are never compared`,
      provisional: actual.provisional || baseline.provisional,
      embodiedGrams: embodied === null ? null : embodied * input.power.gpus * hours,
      computedAt: now
    }
  }
}

function noData (zone: string, span: Interval): LedgerOutcome {
  const at = `[${new Date(span.start).toISOString()}, ${new Date(span.end).toISOString()})`
  return { ok: false, reason: 'no-intensity-data', detail: `zone ${zone} has neither actual nor forecast intensity for all of ${at}` }
}

/**
 * Grams of drawing `kw` over `span` on the zone's actuals, known only before `now`. Time the actuals
 * miss is priced on the forecast of the same signal (provisional). When the forecast has another
 * signal, a figure never mixes them: the whole span is priced on the forecast instead, if it can be.
 */
function price (kw: number, span: Interval, zone: ZoneIntensity, now: Instant): Priced | undefined {
  const known = { ...zone.actual, points: tidy(zone.actual.points, now) }
  const a = prepare(known)
  const gaps = uncovered(known.points, span)
  const fromActual = integral(a, span.start, span.end)
  const actualLabel = `actual:${zone.actual.source}`
  if (gaps.length === 0) return { grams: gramsFromIntegral(fromActual, kw), signal: known.signal, source: actualLabel, provisional: false }
  const forecast = { ...zone.forecast, points: tidy(zone.forecast.points, Infinity) }
  const f = prepare(forecast)
  const label = (parts: readonly Interval[]) => `${parts.some(g => g.end > (forecast.fallbackFrom ?? Infinity)) ? 'fallback' : 'forecast'}:${forecast.source}`
  const usesActual = gaps.reduce((ms, g) => ms + g.end - g.start, 0) < span.end - span.start
  if (forecast.signal === known.signal && usesActual && gaps.every(g => covers(f, g.start, g.end))) {
    const fromForecast = gaps.reduce((sum, g) => sum + integral(f, g.start, g.end), 0)
    return { grams: gramsFromIntegral(fromActual + fromForecast, kw), signal: known.signal, source: `${actualLabel} + ${label(gaps)}`, provisional: true }
  }
  if (!covers(f, span.start, span.end)) return undefined
  return { grams: gramsFromIntegral(integral(f, span.start, span.end), kw), signal: forecast.signal, source: label([span]), provisional: true }
}

/**
 * Points sorted, cut at `until` (actual intensity of the future is not known, whatever a provider
 * returns), and with overlaps removed: stored points of two fetches may overlap, the earlier start
 * keeps the shared time.
 */
function tidy (points: readonly IntensityPoint[], until: Instant): IntensityPoint[] {
  const out: IntensityPoint[] = []
  let last = -Infinity
  for (const p of [...points].sort((x, y) => x.start - y.start)) {
    const start = Math.max(p.start, last)
    const end = Math.min(p.end, until)
    if (end > start && Number.isFinite(p.gPerKwh)) {
      out.push({ start, end, gPerKwh: p.gPerKwh })
      last = end
    }
  }
  return out
}

/** The parts of `span` no point covers; `points` sorted and without overlaps. */
function uncovered (points: readonly IntensityPoint[], span: Interval): Interval[] {
  const gaps: Interval[] = []
  let t = span.start
  for (const p of points) {
    if (p.end <= t) continue
    if (p.start >= span.end) break
    if (p.start > t) gaps.push({ start: t, end: p.start })
    t = Math.max(t, p.end)
  }
  if (t < span.end) gaps.push({ start: t, end: span.end })
  return gaps
}

/**
 * How many ms of `span` the points cover before `until`, overlaps counted once: lets a caller pick
 * the better of two actual series without building either.
 */
export function coveredMs (points: readonly IntensityPoint[], span: Interval, until: Instant): number {
  const gaps = uncovered(tidy(points, until), span)
  return span.end - span.start - gaps.reduce((ms, g) => ms + g.end - g.start, 0)
}

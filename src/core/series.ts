import { upperBound } from './intervals.js'
import type { Instant, IntensityPoint, Interval, Series } from './types.js'

export { fillGaps, withFallback } from './fallback.js'

/** Thrown for malformed intensity points (overlapping, reversed, not finite). Code `INVALID_SERIES`. */
export class InvalidSeriesError extends Error {
  readonly code = 'INVALID_SERIES'
  constructor (message: string) {
    super(message)
    this.name = 'InvalidSeriesError'
  }
}

/**
 * Points sorted by start, zero-length points dropped, gaps kept. Throws `InvalidSeriesError` on
 * overlapping points, reversed points (end < start) or non-finite fields. Pure: returns a new array.
 */
export function normalize (points: readonly IntensityPoint[]): IntensityPoint[] {
  for (const p of points) {
    if (!Number.isFinite(p.start) || !Number.isFinite(p.end) || !Number.isFinite(p.gPerKwh)) {
      throw new InvalidSeriesError(`intensity point ${JSON.stringify(p)} has a non-finite field`)
    }
    if (p.end < p.start) throw new InvalidSeriesError(`intensity point ends before it starts: ${p.start} > ${p.end}`)
  }
  const kept = points.filter(p => p.end > p.start).sort((a, b) => a.start - b.start)
  for (let i = 1; i < kept.length; i++) {
    const prev = kept[i - 1]!
    const cur = kept[i]!
    if (cur.start < prev.end) throw new InvalidSeriesError(`intensity points overlap: [${prev.start}, ${prev.end}) and [${cur.start}, ${cur.end})`)
  }
  return kept
}

/**
 * A series laid out for O(log n) integrals: point i holds `values[i]` g/kWh over
 * [starts[i], ends[i]); `prefix[i]` is Σ_{j<i} values[j] × (ends[j] − starts[j]) in g·ms/kWh
 * (length n + 1). `gaps` lists the uncovered stretches between the first start and the last end.
 */
export interface PreparedSeries {
  readonly starts: Float64Array
  readonly ends: Float64Array
  readonly values: Float64Array
  readonly prefix: Float64Array
  readonly gaps: readonly Interval[]
}

/** Prepares a series for integrals. O(n) for sorted input (the usual case), O(n log n) otherwise. */
export function prepare (series: Series): PreparedSeries {
  const points = isClean(series.points) ? series.points : normalize(series.points)
  const n = points.length
  const starts = new Float64Array(n)
  const ends = new Float64Array(n)
  const values = new Float64Array(n)
  const prefix = new Float64Array(n + 1)
  const gaps: Interval[] = []
  for (let i = 0; i < n; i++) {
    const p = points[i]!
    starts[i] = p.start
    ends[i] = p.end
    values[i] = p.gPerKwh
    prefix[i + 1] = prefix[i]! + p.gPerKwh * (p.end - p.start)
    if (i > 0 && p.start > ends[i - 1]!) gaps.push({ start: ends[i - 1]!, end: p.start })
  }
  return { starts, ends, values, prefix, gaps }
}

/** True when any point carries a p10–p90 band. */
export function hasBand (series: Series): boolean {
  return series.points.some(p => p.p10 !== undefined || p.p90 !== undefined)
}

/**
 * The series at one of its quantiles: each point's `p10` or `p90` where it has a finite one, else its value
 * (a point without a band counts at its value). Pure: new points, no band fields.
 */
export function atQuantile (series: Series, q: 'p10' | 'p90'): Series {
  return { ...series, points: series.points.map(p => ({ start: p.start, end: p.end, gPerKwh: Number.isFinite(p[q]) ? p[q]! : p.gPerKwh })) }
}

/** True when points are already sorted, non-overlapping, of positive length and finite. */
function isClean (points: readonly IntensityPoint[]): boolean {
  let prevEnd = -Infinity
  for (const p of points) {
    if (!(p.start >= prevEnd && p.end > p.start && Number.isFinite(p.start) && Number.isFinite(p.end) && Number.isFinite(p.gPerKwh))) return false
    prevEnd = p.end
  }
  return true
}

/**
 * ∫ from −∞ to `t` of the series in g·ms/kWh, uncovered time counting 0. O(log n).
 * `integral(p, a, b)` is the difference of two of these.
 */
export function cumulativeAt (p: PreparedSeries, t: Instant): number {
  const n = p.starts.length
  const i = upperBound(p.ends, t)
  if (i >= n) return p.prefix[n]!
  const start = p.starts[i]!
  return p.prefix[i]! + (t > start ? p.values[i]! * (t - start) : 0)
}

/**
 * Σ gPerKwh × overlapMs over [a, b), in g·ms/kWh (divide by 3.6e6 ms/h and multiply by kW for grams).
 * Exact over partial points; uncovered time counts 0, so check `covers` first where that matters.
 */
export function integral (p: PreparedSeries, a: Instant, b: Instant): number {
  if (!(b > a)) return 0
  return cumulativeAt(p, b) - cumulativeAt(p, a)
}

/** Start of the first point, or +Infinity for an empty series. */
export function coveredFrom (p: PreparedSeries): Instant {
  return p.starts.length > 0 ? p.starts[0]! : Infinity
}

/** End of the last point (the forecast horizon), or −Infinity for an empty series. */
export function coveredUntil (p: PreparedSeries): Instant {
  return p.ends.length > 0 ? p.ends[p.ends.length - 1]! : -Infinity
}

/** True when every instant of [a, b) lies inside some point. O(log g) in the number of gaps. */
export function covers (p: PreparedSeries, a: Instant, b: Instant): boolean {
  if (!(b > a)) return true
  if (a < coveredFrom(p) || b > coveredUntil(p)) return false
  let lo = 0
  let hi = p.gaps.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (p.gaps[mid]!.end <= a) lo = mid + 1
    else hi = mid
  }
  const gap = p.gaps[lo]
  return gap === undefined || gap.start >= b
}

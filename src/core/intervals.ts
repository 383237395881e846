import { HOUR_MS, type Instant, type Interval } from './types.js'

/** Index of the first element of `sorted` that is ≥ `x` (`sorted.length` if none). O(log n). */
export function lowerBound (sorted: ArrayLike<number>, x: number, lo = 0, hi = sorted.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of the first element of `sorted` that is > `x` (`sorted.length` if none). O(log n). */
export function upperBound (sorted: ArrayLike<number>, x: number, lo = 0, hi = sorted.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * A sorted copy with overlapping or touching intervals joined and empty ones dropped. Touching
 * intervals may be joined because no half-open window can fit between [a, b) and [b, c).
 */
export function mergeIntervals (intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter(i => i.end > i.start).sort((a, b) => a.start - b.start)
  const out: Interval[] = []
  for (const i of sorted) {
    const last = out.at(-1)
    if (last !== undefined && i.start <= last.end) last.end = Math.max(last.end, i.end)
    else out.push({ start: i.start, end: i.end })
  }
  return out
}

/** True when [a, b) and [c, d) share any instant. */
export function overlaps (a: Instant, b: Instant, c: Instant, d: Instant): boolean {
  return a < d && c < b
}

/**
 * Relative tolerance under which two costs count as a tie. Prefix-sum differences carry rounding of
 * about 1e-16 × the running total (≤ ~1e13 g·ms/kWh for a week of points), far below 1e-12 of any
 * real window cost, so only genuine ties fall inside it.
 */
export const TIE_TOLERANCE = 1e-12

/** True when cost `a` is cheaper than `b` by more than rounding noise. */
export function isCheaper (a: number, b: number): boolean {
  if (!Number.isFinite(b)) return a < b
  return a < b - TIE_TOLERANCE * Math.abs(b)
}

/** The start of the UTC hour holding `t`: providers publish hourly points on these boundaries. */
export function floorHour (t: Instant): Instant {
  return Math.floor(t / HOUR_MS) * HOUR_MS
}

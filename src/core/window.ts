import { lowerBound, mergeIntervals, TIE_TOLERANCE, upperBound } from './intervals.js'
import type { PreparedSeries } from './series.js'
import type { Instant, Interval } from './types.js'

/** The cheapest contiguous window: its start and Σ gPerKwh × overlapMs over it (g·ms/kWh). */
export interface ContiguousWindow {
  start: Instant
  integral: number
}

/**
 * Cheapest start s with earliest ≤ s ≤ latestStart such that [s, s + durationMs) lies inside the
 * series' coverage (no gap) and meets no `blocked` interval; ties go to the earliest start.
 * Undefined when no start is feasible.
 *
 * Why a finite candidate set is exact: the cost C(s) = ∫[s, s+d) v is continuous and piecewise
 * linear in s, its slope v(s+d) − v(s) changing only where s or s + d crosses a point boundary.
 * The feasible starts are [lo, hi] minus, for each obstacle [a, b) (blocked time or a gap), the
 * open interval (a − d, b): a union of closed intervals [u, v] whose ends are lo, hi, some b or
 * some a − d. A linear piece is least at one of its ends, so the minimum is at some u or v, a
 * point start (window starts at a boundary) or a point end − d (window ends at one). That is
 * O(n + m) candidates, each priced in O(1) by prefix sums with cursors that only move forward,
 * plus a binary search per feasible interval: O((n + m) log n), against O(n·w) for a rolling
 * average.
 */
export function bestContiguousStart (
  p: PreparedSeries, earliest: Instant, latestStart: Instant, durationMs: number, blocked: readonly Interval[]
): ContiguousWindow | undefined {
  const n = p.starts.length
  if (n === 0 || !(durationMs > 0)) return undefined
  const lo = Math.max(earliest, p.starts[0]!)
  const hi = Math.min(latestStart, p.ends[n - 1]! - durationMs)
  if (!(lo <= hi)) return undefined
  const obstacles = mergeIntervals(p.gaps.length === 0 ? blocked : [...blocked, ...p.gaps])
  const best: ContiguousWindow = { start: Infinity, integral: Infinity }
  const feasible = feasibleStarts(lo, hi, durationMs, obstacles)
  for (let i = 0; i < feasible.length; i += 2) scan(p, durationMs, feasible[i]!, feasible[i + 1]!, best)
  return best.start === Infinity ? undefined : best
}

/**
 * Starts s in [lo, hi] whose window [s, s + d) meets none of the sorted, merged `obstacles`, as
 * closed intervals flattened [u0, v0, u1, v1, …]. An obstacle [a, b) rules out s in (a − d, b).
 */
function feasibleStarts (lo: Instant, hi: Instant, d: number, obstacles: readonly Interval[]): number[] {
  const out: number[] = []
  let u = lo
  for (const o of obstacles) {
    const v = Math.min(hi, o.start - d)
    if (v >= u) out.push(u, v)
    u = Math.max(u, o.end)
    if (u > hi) return out
  }
  out.push(u, hi)
  return out
}

/**
 * Prices u, v and every point start and point end − d strictly between them, in ascending order
 * (each distinct start once), updating `best` with the cheapest, earliest on ties. One tight
 * loop: a 48-h 5-minute series gives ~500 candidates per pool.
 */
function scan (p: PreparedSeries, d: number, u: Instant, v: Instant, best: ContiguousWindow): void {
  const { starts, ends, values, prefix } = p
  const n = starts.length
  const total = prefix[n]!
  // Next candidate sources (point starts, point ends − d) and the pricing cursors: first point
  // ending after s, and after s + d.
  let ix = lowerBound(starts, u)
  let iy = lowerBound(ends, u + d)
  let a = upperBound(ends, u)
  let b = upperBound(ends, u + d)
  let { start: bestStart, integral: bestCost } = best
  const tie = TIE_TOLERANCE
  // cost < below: cheaper; cost ≤ above: a tie within TIE_TOLERANCE, or better.
  let below = bestCost === Infinity ? Infinity : bestCost - TIE_TOLERANCE * Math.abs(bestCost)
  let above = bestCost === Infinity ? Infinity : bestCost + TIE_TOLERANCE * Math.abs(bestCost)
  let s = u
  for (;;) {
    const t = s + d
    while (a < n && ends[a]! <= s) a++
    while (b < n && ends[b]! <= t) b++
    const fs = a < n ? prefix[a]! + (s > starts[a]! ? values[a]! * (s - starts[a]!) : 0) : total
    const ft = b < n ? prefix[b]! + (t > starts[b]! ? values[b]! * (t - starts[b]!) : 0) : total
    const cost = ft - fs
    if (cost < below || (cost <= above && s < bestStart)) {
      bestStart = s
      bestCost = cost
      below = cost - tie * Math.abs(cost)
      above = cost + tie * Math.abs(cost)
    }
    while (ix < n && starts[ix]! <= s) ix++
    while (iy < n && ends[iy]! - d <= s) iy++
    let next = v
    if (ix < n && starts[ix]! < next) next = starts[ix]!
    if (iy < n && ends[iy]! - d < next) next = ends[iy]! - d
    if (!(next > s)) break
    s = next
  }
  best.start = bestStart
  best.integral = bestCost
}

import type { PreparedSeries } from './series.js'
import { mergeIntervals, upperBound } from './intervals.js'
import { MINUTE_MS, type Instant, type Interval } from './types.js'

/** Most slots the interruptible search works on; beyond it the quantum is coarsened. */
export const MAX_SLOTS = 2000
const COARSE_STEP_MS = 5 * MINUTE_MS

/**
 * A grid of whole slots [start + i·q, start + (i+1)·q), i < n, inside [earliest, deadline):
 * a partial last slot is left out. `costs[i]` is the slot's integral (g·ms/kWh), `usable[i]` is 0
 * when the slot meets blocked time or time the series does not cover.
 */
export interface SlotGrid {
  start: Instant
  q: number
  n: number
  costs: Float64Array
  usable: Uint8Array
}

/**
 * Lays the grid. With more than 2,000 slots (e.g. 7 days at 5 min = 2,016) the quantum grows to
 * ceil(window / 2000) rounded up to a 5-minute multiple, bounding the DP's cost.
 */
export function slotGrid (p: PreparedSeries, earliest: Instant, deadline: Instant, blocked: readonly Interval[], quantumMs: number): SlotGrid {
  const window = Math.max(0, deadline - earliest)
  let q = quantumMs
  if (window / q > MAX_SLOTS) q = Math.max(q, Math.ceil(Math.ceil(window / MAX_SLOTS) / COARSE_STEP_MS) * COARSE_STEP_MS)
  const n = Math.floor(window / q)
  const costs = new Float64Array(n)
  const usable = new Uint8Array(n)
  const obstacles = mergeIntervals([...blocked, ...p.gaps, ...outside(p)])
  const cumulative = forwardCumulative(p, earliest)
  let j = 0
  let fa = cumulative(earliest)
  for (let i = 0; i < n; i++) {
    const a = earliest + i * q
    const b = a + q
    const fb = cumulative(b)
    while (j < obstacles.length && obstacles[j]!.end <= a) j++
    const o = obstacles[j]
    if (o === undefined || o.start >= b) {
      usable[i] = 1
      costs[i] = fb - fa
    }
    fa = fb
  }
  return { start: earliest, q, n, costs, usable }
}

/** `cumulativeAt` for non-decreasing instants from `from` on, in amortised O(1) per call. */
function forwardCumulative (p: PreparedSeries, from: Instant): (t: Instant) => number {
  const { starts, ends, values, prefix } = p
  const n = starts.length
  let k = upperBound(ends, from)
  return t => {
    while (k < n && ends[k]! <= t) k++
    return k < n ? prefix[k]! + (t > starts[k]! ? values[k]! * (t - starts[k]!) : 0) : prefix[n]!
  }
}

/** Time before the first point and after the last one, as intervals. */
function outside (p: PreparedSeries): Interval[] {
  const n = p.starts.length
  if (n === 0) return [{ start: -Infinity, end: Infinity }]
  return [{ start: -Infinity, end: p.starts[0]! }, { start: p.ends[n - 1]!, end: Infinity }]
}

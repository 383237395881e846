import { isCheaper, TIE_TOLERANCE } from './intervals.js'
import { integral, type PreparedSeries } from './series.js'
import { slotGrid, type SlotGrid } from './slots.js'
import { MINUTE_MS, type Instant, type Interval } from './types.js'

/** Default slot length of the interruptible search. */
export const DEFAULT_QUANTUM_MS = 5 * MINUTE_MS

/** Chosen time slices and Σ gPerKwh × overlapMs over them (g·ms/kWh), resume overhead included. */
export interface Slices {
  segments: Interval[]
  integral: number
}

/** A job in slots: d slots of work, ≥ m work slots per segment, o overhead slots per resume. */
interface Rules {
  d: number
  m: number
  o: number
}

/**
 * Cheapest set of time slices for an interruptible job inside [earliest, deadline), exactly, on a
 * slot grid of `quantumMs` anchored at `earliest` (a partial last slot is not used; more than
 * 2,000 slots coarsen the quantum, see `slotGrid`). The duration is rounded up to whole slots.
 * Each segment does ≥ minSegmentMs of work (rounded up to slots), except that a job shorter than
 * that runs as one segment; every segment after the first also runs `resumeOverheadMs` (rounded
 * up to slots) of overhead at its start. Slots meeting `blocked` or uncovered time are not used.
 * Ties go to the earliest slots (lexicographically). Undefined when nothing fits.
 *
 * DP over (slot i, work slots done k, phase in the current segment), run backwards so that the
 * forward replay can prefer using a slot on ties: O(N·d·(m + o)) time, N·(d + 1) bytes of choices.
 */
export function bestSlices (
  p: PreparedSeries, earliest: Instant, deadline: Instant, durationMs: number, minSegmentMs: number,
  resumeOverheadMs: number, blocked: readonly Interval[], quantumMs: number = DEFAULT_QUANTUM_MS
): Slices | undefined {
  return bestSlicesBelow(p, earliest, deadline, durationMs, minSegmentMs, resumeOverheadMs, blocked, quantumMs, Infinity)
}

/**
 * `bestSlices`, but undefined as soon as it is clear that no slices can cost ≤ `ceiling`
 * (g·ms/kWh): the sum of the d cheapest usable slots bounds every choice from below and costs
 * O(N log N) against the DP's O(N·d·(m + o)), so a planner comparing pools skips the DP on pools
 * that cannot win.
 */
export function bestSlicesBelow (
  p: PreparedSeries, earliest: Instant, deadline: Instant, durationMs: number, minSegmentMs: number,
  resumeOverheadMs: number, blocked: readonly Interval[], quantumMs: number, ceiling: number
): Slices | undefined {
  if (!(durationMs > 0) || !(quantumMs > 0)) return undefined
  const grid = slotGrid(p, earliest, deadline, blocked, quantumMs)
  const d = Math.ceil(durationMs / grid.q)
  if (d > grid.n || isCheaper(ceiling, cheapestSlotsSum(grid, d))) return undefined
  const rules: Rules = {
    d,
    m: Math.min(d, Math.max(1, Math.ceil(minSegmentMs / grid.q))),
    o: Math.max(0, Math.ceil(resumeOverheadMs / grid.q))
  }
  const used = cheapestSlots(grid, rules)
  return used === undefined ? undefined : toSlices(p, grid, used)
}

/** Σ of the d cheapest usable slots (∞ when fewer are usable; −∞ if any costs < 0, as overhead slots could then lower the total). */
function cheapestSlotsSum (grid: SlotGrid, d: number): number {
  const costs = grid.costs.filter((_, i) => grid.usable[i] === 1).sort()
  if (costs.length < d) return Infinity
  if (costs[0]! < 0) return -Infinity
  let sum = 0
  for (let i = 0; i < d; i++) sum += costs[i]!
  return sum
}

/**
 * Cost-to-go of every state on entering a slot. `idle[k]`: no segment open, k work slots done;
 * `work[k·m + w − 1]`: in a segment with min(w, m) work slots so far; `ovh[k·o + j − 1]`: in a
 * resumed segment after j overhead slots.
 */
interface Layer {
  idle: Float64Array
  work: Float64Array
  ovh: Float64Array
}

const IDLE_USES = 1
const WORK_CONTINUES = 2

function layer (r: Rules): Layer {
  return { idle: new Float64Array(r.d + 1), work: new Float64Array((r.d + 1) * r.m), ovh: new Float64Array((r.d + 1) * r.o) }
}

/** Which slots to use, or undefined when no valid choice exists. */
function cheapestSlots (grid: SlotGrid, r: Rules): Uint8Array | undefined {
  const choice = new Uint8Array(grid.n * (r.d + 1))
  let next = layer(r)
  let cur = layer(r)
  // After the last slot, only "all work done and no segment left short" costs nothing.
  next.idle.fill(Infinity)
  next.work.fill(Infinity)
  next.ovh.fill(Infinity)
  next.idle[r.d] = 0
  next.work[r.d * r.m + r.m - 1] = 0
  for (let i = grid.n - 1; i >= 0; i--) {
    stepBack(grid, r, i, cur, next, choice)
    const done = next
    next = cur
    cur = done
  }
  return next.idle[0] === Infinity ? undefined : replay(grid.n, r, choice)
}

/** Fills `cur` (entering slot i) from `next` (entering slot i + 1), recording tie-broken choices. */
function stepBack (grid: SlotGrid, r: Rules, i: number, cur: Layer, next: Layer, choice: Uint8Array): void {
  const { d, m, o } = r
  cur.idle.fill(Infinity)
  cur.work.fill(Infinity)
  cur.ovh.fill(Infinity)
  const c = grid.usable[i] === 1 ? grid.costs[i]! : Infinity
  const row = i * (d + 1)
  // Using the slot wins ties (x ≤ y + tol·|y|), so the forward replay takes the earliest slots.
  const tie = TIE_TOLERANCE
  // k ≤ i slots can be done before slot i, and d − k ≤ n − i must still fit.
  for (let k = Math.max(0, d - (grid.n - i)); k <= Math.min(i, d); k++) {
    const skip = next.idle[k]!
    const use = k < d ? c + startValue(next, r, k) : Infinity
    if (use <= skip + tie * Math.abs(skip)) { cur.idle[k] = use; choice[row + k]! |= IDLE_USES } else cur.idle[k] = skip
    if (k === 0) continue
    for (let j = 1; j <= o && k < d; j++) cur.ovh[k * o + j - 1] = c + (j < o ? next.ovh[k * o + j]! : next.work[(k + 1) * m]!)
    for (let w = 1; w < m; w++) cur.work[k * m + w - 1] = k < d ? c + next.work[(k + 1) * m + w]! : Infinity
    const cont = k < d ? c + next.work[(k + 1) * m + m - 1]! : Infinity
    const end = next.idle[k]!
    if (cont <= end + tie * Math.abs(end)) { cur.work[k * m + m - 1] = cont; choice[row + k]! |= WORK_CONTINUES } else cur.work[k * m + m - 1] = end
  }
}

/** Cost-to-go after using a slot to open a segment with k work slots done. */
function startValue (next: Layer, r: Rules, k: number): number {
  // The first segment (k = 0) and every segment when there is no overhead start with work.
  if (k === 0 || r.o === 0) return next.work[(k + 1) * r.m]!
  return next.ovh[k * r.o]!
}

/** Follows the recorded choices forward from "nothing done": 1 for each slot used. */
function replay (n: number, r: Rules, choice: Uint8Array): Uint8Array {
  const { d, m, o } = r
  const used = new Uint8Array(n)
  let phase: 'idle' | 'ovh' | 'work' = 'idle'
  let k = 0
  let j = 0
  let w = 0
  for (let i = 0; i < n; i++) {
    const bits = choice[i * (d + 1) + k]!
    if (phase === 'idle') {
      if (k >= d || (bits & IDLE_USES) === 0) continue
      used[i] = 1
      if (k === 0 || o === 0) { phase = 'work'; k++; w = 1 } else { phase = 'ovh'; j = 1 }
    } else if (phase === 'ovh') {
      used[i] = 1
      if (j < o) j++
      else { phase = 'work'; k++; w = 1 }
    } else if (k < d && (w < m || (bits & WORK_CONTINUES) !== 0)) {
      used[i] = 1
      k++
      w = Math.min(w + 1, m)
    } else phase = 'idle'
  }
  return used
}

/** Runs of used slots as segments, priced exactly. */
function toSlices (p: PreparedSeries, grid: SlotGrid, used: Uint8Array): Slices {
  const segments: Interval[] = []
  for (let i = 0; i < grid.n; i++) {
    if (used[i] !== 1) continue
    const start = grid.start + i * grid.q
    const last = segments.at(-1)
    if (last !== undefined && last.end === start) last.end = start + grid.q
    else segments.push({ start, end: start + grid.q })
  }
  let total = 0
  for (const s of segments) total += integral(p, s.start, s.end)
  return { segments, integral: total }
}

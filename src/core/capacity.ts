import { lowerBound, upperBound } from './intervals.js'
import type { Instant, Interval, Reservation } from './types.js'

/**
 * One pool's reserved GPUs as a step function: `levels[i]` GPUs are held over
 * [times[i], times[i + 1]); 0 before `times[0]`, and the last level is always 0 because every
 * reservation ends at a change point.
 */
interface Steps {
  times: number[]
  levels: number[]
}

/**
 * Reserved GPUs per pool over time, built from reservations. Reserving inserts two change points
 * into a sorted array (O(k) for k change points in the pool) and queries binary-search their start:
 * a pool with 1,000 reservations holds ~2,000 change points, so both stay in microseconds.
 */
export class CapacityLedger {
  private readonly pools = new Map<string, Steps>()

  /** A ledger seeded with `reservations` (each counted against its `pool`), in O(n log n). */
  constructor (reservations: Iterable<Reservation> = []) {
    const byPool = new Map<string, Reservation[]>()
    for (const r of reservations) {
      const list = byPool.get(r.pool)
      if (list === undefined) byPool.set(r.pool, [r])
      else list.push(r)
    }
    for (const [pool, list] of byPool) this.setPool(pool, list)
  }

  /**
   * Replaces everything held in `pool` by `reservations` (whatever pool they name): a sort of their
   * change points and one sweep, where reserving them one by one would cost O(n²) for n of them.
   */
  setPool (pool: string, reservations: readonly Reservation[]): void {
    const deltas = new Map<number, number>()
    for (const r of reservations) {
      if (!(r.end > r.start) || r.gpus === 0) continue
      deltas.set(r.start, (deltas.get(r.start) ?? 0) + r.gpus)
      deltas.set(r.end, (deltas.get(r.end) ?? 0) - r.gpus)
    }
    const times: number[] = []
    const levels: number[] = []
    let level = 0
    for (const t of [...deltas.keys()].sort((a, b) => a - b)) {
      const next = level + deltas.get(t)!
      if (next === level) continue
      times.push(t)
      levels.push(next)
      level = next
    }
    if (times.length === 0) this.pools.delete(pool)
    else this.pools.set(pool, { times, levels })
  }

  /** Holds `r.gpus` GPUs of `r.pool` over [r.start, r.end). Empty intervals hold nothing. */
  reserve (r: Reservation): void {
    this.add(r, r.gpus)
  }

  /**
   * Frees what `reserve(r)` held: the same pool, interval and GPUs. The joint planner moves a
   * job by releasing it and reserving it elsewhere, thousands of times per batch.
   */
  release (r: Reservation): void {
    this.add(r, -r.gpus)
  }

  private add (r: Reservation, gpus: number): void {
    if (!(r.end > r.start) || gpus === 0) return
    let steps = this.pools.get(r.pool)
    if (steps === undefined) {
      steps = { times: [], levels: [] }
      this.pools.set(r.pool, steps)
    }
    const from = splitAt(steps, r.start)
    const to = splitAt(steps, r.end)
    for (let i = from; i < to; i++) steps.levels[i]! += gpus
    // A change point left at the level before it changes nothing: dropping it keeps the arrays at
    // ~2 points per live reservation however many moves came before.
    dropIfFlat(steps, to)
    dropIfFlat(steps, from)
  }

  /**
   * Maximal stretches of [from, to), clipped to it, where already reserved + `gpus` > `capacity`:
   * the times a job of `gpus` GPUs cannot run. All of [from, to) when `gpus` > `capacity`.
   */
  blockedIntervals (pool: string, capacity: number, gpus: number, from: Instant, to: Instant): Interval[] {
    if (!(to > from)) return []
    if (gpus > capacity) return [{ start: from, end: to }]
    const out: Interval[] = []
    this.walk(pool, from, to, (start, end, level) => {
      if (level + gpus <= capacity) return
      const last = out.at(-1)
      if (last !== undefined && last.end === start) last.end = end
      else out.push({ start, end })
    })
    return out
  }

  /** Most GPUs reserved at any instant of [from, to) in `pool` (0 when nothing is reserved). */
  peak (pool: string, from: Instant, to: Instant): number {
    let max = 0
    this.walk(pool, from, to, (_start, _end, level) => { max = Math.max(max, level) })
    return max
  }

  /** Calls `visit` for each constant stretch of the pool's step function inside [from, to). */
  private walk (pool: string, from: Instant, to: Instant, visit: (start: Instant, end: Instant, level: number) => void): void {
    const steps = this.pools.get(pool)
    if (steps === undefined || !(to > from)) return
    const { times, levels } = steps
    let i = upperBound(times, from) - 1
    let cursor = from
    while (cursor < to) {
      const next = i + 1 < times.length ? Math.min(times[i + 1]!, to) : to
      visit(cursor, next, i >= 0 ? levels[i]! : 0)
      cursor = next
      i++
    }
  }
}

/** Index of the change point at `t`, inserting one (carrying the level in force) if needed. */
function splitAt (steps: Steps, t: Instant): number {
  const { times, levels } = steps
  const i = lowerBound(times, t)
  if (times[i] === t) return i
  times.splice(i, 0, t)
  levels.splice(i, 0, i > 0 ? levels[i - 1]! : 0)
  return i
}

/** Removes change point i when it keeps the level in force before it. */
function dropIfFlat (steps: Steps, i: number): void {
  const { times, levels } = steps
  if (i >= times.length || levels[i] !== (i > 0 ? levels[i - 1]! : 0)) return
  times.splice(i, 1)
  levels.splice(i, 1)
}

import { CapacityLedger } from './capacity.js'
import { HOUR_MS, type Instant, type Interval, type Reservation } from './types.js'

/** Width of the stretches whose peaks are bounded: a four-week window spans 28 of them. */
const DAY_MS = 24 * HOUR_MS
/** Past this many days in one question, walking the change points is as cheap. */
const MAX_DAYS = 400

/**
 * A ledger that also keeps, per pool and per UTC day, an upper bound of the GPUs reserved at any
 * instant of that day: raised by each reservation, never lowered by a release (so it stays a
 * bound). `blockedIntervals` walks the pool's change points only over runs of days where a job
 * of `gpus` might not fit, and skips the days where it fits beside the bound. The answers are the
 * same as `CapacityLedger`'s (a day where it fits holds no blocked stretch, so none is split);
 * only the cost changes: re-planning 20,000 jobs asks ~20,000 × pools questions over windows of
 * up to four weeks, each of which would walk thousands of change points.
 */
export class BoundedLedger extends CapacityLedger {
  private readonly bounds: Map<string, Map<number, number>>

  constructor (reservations: readonly Reservation[] = []) {
    super(reservations)
    this.bounds = new Map()
    for (const r of reservations) this.raise(r)
  }

  override setPool (pool: string, reservations: readonly Reservation[]): void {
    super.setPool(pool, reservations)
    // Also called by the base constructor, before `bounds` exists; the constructor then raises them all.
    if (this.bounds === undefined) return
    this.bounds.delete(pool)
    for (const r of reservations) this.raise({ ...r, pool })
  }

  override reserve (r: Reservation): void {
    super.reserve(r)
    this.raise(r)
  }

  override blockedIntervals (pool: string, capacity: number, gpus: number, from: Instant, to: Instant): Interval[] {
    const first = Math.floor(from / DAY_MS)
    const last = Math.floor((to - 1) / DAY_MS)
    if (!(to > from) || gpus > capacity || last - first > MAX_DAYS) return super.blockedIntervals(pool, capacity, gpus, from, to)
    const days = this.bounds.get(pool)
    const out: Interval[] = []
    let runStart: number | undefined
    for (let d = first; d <= last + 1; d++) {
      const fits = d > last || (days?.get(d) ?? 0) + gpus <= capacity
      if (!fits && runStart === undefined) runStart = d
      if (fits && runStart !== undefined) {
        out.push(...super.blockedIntervals(pool, capacity, gpus, Math.max(from, runStart * DAY_MS), Math.min(to, d * DAY_MS)))
        runStart = undefined
      }
    }
    return out
  }

  /** Raises the bounds of the days `r` covers to the peak now reserved there. */
  private raise (r: Reservation): void {
    if (!(r.end > r.start) || r.gpus <= 0) return
    let days = this.bounds.get(r.pool)
    if (days === undefined) this.bounds.set(r.pool, days = new Map())
    for (let d = Math.floor(r.start / DAY_MS); d * DAY_MS < r.end; d++) {
      const peak = this.peak(r.pool, Math.max(r.start, d * DAY_MS), Math.min(r.end, (d + 1) * DAY_MS))
      days.set(d, Math.max(days.get(d) ?? 0, peak))
    }
  }
}

import { gramsOver, jobPowerKw } from '../core/emissions.js'
import { planJob, type PlannerOptions, type PoolView } from '../core/planner.js'
import { MINUTE_MS, type Instant, type Interval, type PlanRequest, type Reservation, type Series } from '../core/types.js'
import { Fleet } from './fleet.js'
import type { SimJob } from './jobs-csv.js'
import { summarize } from './summary.js'
import type { SimInput, SimJobResult, SimOptions, SimResult } from './types.js'

/** A run's outcome for one job: grams on the actual series, or why it could not be placed. */
type Run =
  | { ok: true, grams: number, pool: string, segments: Interval[], usesFallback: boolean }
  | { ok: false, reason: string }

/** Reservations of one run (planned or oracle), per pool, pruned as arrivals move on. */
class Bookings {
  private readonly byPool = new Map<string, Reservation[]>()

  of (pool: string, now: Instant): Reservation[] {
    // Jobs come in arrival order and never start before arriving, so a reservation ended by now binds no one.
    const live = (this.byPool.get(pool) ?? []).filter(r => r.end > now)
    this.byPool.set(pool, live)
    return live
  }

  add (pool: string, segments: readonly Interval[], gpus: number, jobId: string): void {
    const list = this.byPool.get(pool) ?? []
    for (const s of segments) list.push({ pool, start: s.start, end: s.end, gpus, jobId })
    this.byPool.set(pool, list)
  }
}

/**
 * Replays jobs in arrival order with the production planner. For each job: the baseline runs at
 * arrival on its home pool (or up to `baselineFlexMinutes` later, at the cheapest step); the
 * planned run is `planJob` on what was known at arrival (the forecast then current, a noisy copy,
 * or the actual series); the oracle is `planJob` on the actual series. With pools, each run plans
 * against its own earlier reservations. Emissions are always accounted on the actual series.
 * Pure apart from `onProgress`.
 */
export function simulate (input: SimInput, options: SimOptions = {}): SimResult {
  const fleet = new Fleet(input, options)
  // No safety margin: a replay knows the deadlines exactly (the scheduler keeps 10 min for dispatch
  // delays that a replay does not have), and the published study used every step up to them.
  const plannerOpts: Partial<PlannerOptions> = { safetyMarginMs: 0, quantumMs: fleet.quantumMs }
  const flexMs = (options.baselineFlexMinutes ?? 0) * MINUTE_MS
  const jobs = input.jobs.map((job, i) => ({ job, i })).sort((a, b) => a.job.arrival - b.job.arrival || a.i - b.i).map(x => x.job)
  const planned = new Bookings()
  const oracle = new Bookings()
  // Without forecast or noise the planned run sees exactly what the oracle sees: plan once.
  const sameView = fleet.plannerSeesActual
  const results: SimJobResult[] = []
  for (const job of jobs) {
    const pools = fleet.candidates(job)
    fleet.checkCovered(job, pools, job.arrival, Math.max(job.deadline, job.arrival + flexMs + job.durationMs))
    const req = { ...request(job, pools, options.interruptible ?? false, fleet.quantumMs), ...(options.risk === undefined ? {} : { risk: options.risk }) }
    const baselineG = baseline(fleet, req, job, flexMs)
    const p = run(fleet, req, job, planned, plannerOpts, (zone, to) => fleet.known(zone, job.arrival, to))
    const o = sameView ? p : run(fleet, req, job, oracle, plannerOpts, (zone, to) => fleet.actual(zone, job.arrival, to))
    results.push(resultOf(job, baselineG, p, o))
    options.onProgress?.(results.length, jobs.length)
  }
  return { summary: summarize(results, fleet, input.signal), jobs: results }
}

function request (job: SimJob, pools: string[], interruptible: boolean, quantumMs: number): PlanRequest {
  return {
    gpus: job.gpus,
    durationMs: job.durationMs,
    earliestStart: job.arrival,
    deadline: job.deadline,
    interruptible: job.interruptible ?? interruptible,
    // One data step per segment, no resume cost: "interruptible" = the cheapest steps, exactly.
    minSegmentMs: quantumMs,
    resumeOverheadMs: 0,
    pools
  }
}

/** Grams of the job run contiguously on its home pool at the cheapest of arrival, arrival + step, … ≤ arrival + flex (earliest on ties). */
function baseline (fleet: Fleet, req: PlanRequest, job: SimJob, flexMs: number): number {
  const home = fleet.pool(req.pools[0]!)
  const kw = jobPowerKw(req, home)
  const stepMs = fleet.zones.get(home.zone)!.stepMs
  const series = fleet.actual(home.zone, job.arrival, job.arrival + flexMs + job.durationMs)
  let best = Infinity
  for (let start = job.arrival; start <= job.arrival + flexMs; start += stepMs) {
    const grams = gramsOver(series, [{ start, end: start + job.durationMs }], kw)
    if (grams < best) best = grams
  }
  return best
}

/** Plans the job on the series `seen` gives, reserves its GPUs, and accounts the plan on the actual series. */
function run (
  fleet: Fleet, req: PlanRequest, job: SimJob, bookings: Bookings, opts: Partial<PlannerOptions>, seen: (zone: string, to: Instant) => Series
): Run {
  const cache = new Map<string, Series>()
  const views: PoolView[] = req.pools.map(name => {
    const pool = fleet.pool(name)
    const series = cache.get(pool.zone) ?? seen(pool.zone, job.deadline)
    cache.set(pool.zone, series)
    return { pool, series, reservations: fleet.capacityLimited ? bookings.of(name, job.arrival) : [] }
  })
  const outcome = planJob(req, views, job.arrival, opts)
  if (!outcome.ok) return { ok: false, reason: `${outcome.reason}: ${outcome.detail}` }
  const { pool, zone, segments, usesFallback } = outcome.placement
  if (fleet.capacityLimited) bookings.add(pool, segments, req.gpus, job.id)
  const actual = fleet.actual(zone, segments[0]!.start, segments.at(-1)!.end)
  return { ok: true, grams: gramsOver(actual, segments, jobPowerKw(req, fleet.pool(pool))), pool, segments, usesFallback }
}

function resultOf (job: SimJob, baselineG: number, p: Run, o: Run): SimJobResult {
  // A job that cannot be placed is counted as a miss and as run at once (its baseline grams).
  const oracleG = o.ok ? o.grams : baselineG
  if (!p.ok) {
    return { jobId: job.id, baselineG, plannedG: baselineG, oracleG, start: undefined, end: undefined, segments: 0, pool: undefined, plannedSegments: [], missed: true, failure: p.reason, usesFallback: false, oracleUnplaced: !o.ok }
  }
  const start = p.segments[0]!.start
  const end = p.segments.at(-1)!.end
  return {
    jobId: job.id, baselineG, plannedG: p.grams, oracleG, start, end, segments: p.segments.length, pool: p.pool, plannedSegments: p.segments,
    missed: end > job.deadline || start < job.arrival, usesFallback: p.usesFallback, oracleUnplaced: !o.ok
  }
}

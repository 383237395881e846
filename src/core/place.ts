import { CapacityLedger } from './capacity.js'
import { gramsFromIntegral, jobPowerKw } from './emissions.js'
import { bestSlicesBelow } from './interruptible.js'
import { isCheaper } from './intervals.js'
import { effectiveDeadline, onPool, windowFailure, type PlannerOptions } from './plan-request.js'
import { eligiblePools, integralFloor, noCapacity, PoolCatalog, usesFallback, type PoolContext, type PoolView } from './planner-pools.js'
import { labelsOf, versioned } from './ledger-price.js'
import { covers, integral, type PreparedSeries } from './series.js'
import { HOUR_MS, poolModel, type Instant, type Interval, type Placement, type PlanOutcome, type PlanRequest } from './types.js'
import { bestContiguousStart } from './window.js'

// Placing one job against a ledger: shared by planJob, planJobs, planJointly and replanMoves.

/** A request with the id the batch planners key their outcomes by. */
export type IdentifiedRequest = PlanRequest & { id: string }

/** The request with its earliest start raised to `now`: nothing is planned in the past. */
export function startingNoEarlierThan<R extends PlanRequest> (req: R, now: Instant): R {
  return req.earliestStart >= now ? req : { ...req, earliestStart: now }
}

/** A ledger seeded with every pool's reservations. */
export function ledgerOf (pools: readonly PoolView[]): CapacityLedger {
  return new CapacityLedger(pools.flatMap(v => v.reservations.map(r => ({ ...r, pool: v.pool.name }))))
}

/** A catalog covering every job's window, so each pool's series is prepared once for the batch. */
export function catalogFor (jobs: readonly PlanRequest[], pools: readonly PoolView[]): PoolCatalog {
  const from = jobs.reduce((t, r) => Math.min(t, r.earliestStart), Infinity)
  const until = jobs.reduce((t, r) => Math.max(t, r.deadline), -Infinity)
  return new PoolCatalog(pools, from, until)
}

/** Earliest deadline first; ties: earlier start, then id. */
export function byDeadline (a: IdentifiedRequest, b: IdentifiedRequest): number {
  return a.deadline - b.deadline || a.earliestStart - b.earliestStart || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** Holds (or, with `sign` −1, frees) the job's GPUs over every segment of `p`. */
export function book (ledger: CapacityLedger, req: IdentifiedRequest, p: Placement, sign: 1 | -1 = 1): void {
  for (const s of p.segments) {
    const r = { pool: p.pool, start: s.start, end: s.end, gpus: req.gpus, jobId: req.id }
    if (sign === 1) ledger.reserve(r)
    else ledger.release(r)
  }
}

/** Plans `order` one job at a time on `ledger`, each placement reserved before the next job. */
export function planInOrder (order: readonly IdentifiedRequest[], catalog: PoolCatalog, ledger: CapacityLedger, o: PlannerOptions): Map<string, PlanOutcome> {
  const outcomes = new Map<string, PlanOutcome>()
  for (const r of order) {
    const outcome = windowFailure(r) ?? planWith(r, catalog, ledger, o)
    if (outcome.ok) book(ledger, r, outcome.placement)
    outcomes.set(r.id, outcome)
  }
  return outcomes
}

/** A priced option on one pool. */
interface Option {
  ctx: PoolContext
  /** Position in the job's pool preference order. */
  rank: number
  segments: Interval[]
  integral: number
  kw: number
  /** Run time including resume overhead, ms. */
  runMs: number
  grams: number
}

/** The cheapest placement of one (window-checked) request against `ledger`, or why there is none. */
export function planWith (req: PlanRequest, catalog: PoolCatalog, ledger: CapacityLedger, o: PlannerOptions): PlanOutcome {
  const eligible = eligiblePools(req, catalog)
  if (!eligible.ok) return eligible
  // Cheapest-looking pools first, so that once the best found beats a pool's floor it beats every
  // later one and the rest are skipped: a quote over 20 pools usually prices only a few. Each pool
  // sees the job as it runs there (`onPool`): its duration, so its deadline margin, may differ.
  const pools = eligible.competing.map((ctx, rank) => {
    const r = onPool(req, ctx.pool.name)
    const deadline = effectiveDeadline(r, o.safetyMarginMs)
    const kw = jobPowerKw(r, ctx.pool)
    return { ctx, rank, r, deadline, floor: gramsFromIntegral(integralFloor(ctx, r.earliestStart, deadline, r.durationMs), kw) }
  }).sort((a, b) => a.floor - b.floor || a.rank - b.rank)
  let best: { option: Option, r: PlanRequest, deadline: Instant } | undefined
  for (const { ctx, rank, r, deadline, floor } of pools) {
    if (best !== undefined && isCheaper(best.option.grams, floor)) break
    const blocked = ledger.blockedIntervals(ctx.pool.name, ctx.pool.gpuCount, r.gpus, r.earliestStart, deadline)
    const option = bestOnPool(r, ctx, rank, blocked, deadline, o.quantumMs, best?.option.grams ?? Infinity)
    if (option !== undefined && (best === undefined || beats(option, best.option))) best = { option, r, deadline }
  }
  if (best === undefined) return noCapacity(req, eligible.competing, effectiveDeadline(req, o.safetyMarginMs))
  const latestSafeStart = best.deadline - best.r.durationMs
  return { ok: true, placement: placement(best.option), baseline: baseline(onPool(req, eligible.baseline.pool.name), eligible.baseline), latestSafeStart }
}
/** Cheaper by more than rounding; or as cheap and starting earlier; or also as early and preferred. */
function beats (a: Option, b: Option): boolean {
  if (isCheaper(a.grams, b.grams)) return true
  if (isCheaper(b.grams, a.grams)) return false
  const startA = a.segments[0]!.start
  const startB = b.segments[0]!.start
  return startA < startB || (startA === startB && a.rank < b.rank)
}

/** The cheapest contiguous window on one pool, or for an interruptible job the cheaper of that and the best slices. */
function bestOnPool (
  req: PlanRequest, ctx: PoolContext, rank: number, blocked: Interval[], deadline: Instant, quantumMs: number, bestGrams: number
): Option | undefined {
  const kw = jobPowerKw(req, ctx.pool)
  const d = req.durationMs
  const option = (segments: Interval[], cost: number, runMs: number): Option =>
    ({ ctx, rank, segments, integral: cost, kw, runMs, grams: gramsFromIntegral(cost, kw) })
  const w = bestContiguousStart(ctx.prepared, req.earliestStart, deadline - d, d, blocked)
  const contiguous = w === undefined ? undefined : option([{ start: w.start, end: w.start + d }], w.integral, d)
  if (!req.interruptible) return contiguous
  // Contiguous stays a candidate: it prices the exact duration, while slices round up to whole
  // slots. Slices are only worth solving if they might match both it and the best pool so far.
  const ceiling = Math.min(contiguous?.integral ?? Infinity, bestGrams * HOUR_MS / kw)
  const s = bestSlicesBelow(ctx.prepared, req.earliestStart, deadline, d, req.minSegmentMs, req.resumeOverheadMs, blocked, quantumMs, ceiling)
  if (s === undefined) return contiguous
  const sliced = option(s.segments, s.integral, d + (s.segments.length - 1) * req.resumeOverheadMs)
  return contiguous === undefined || beats(sliced, contiguous) ? sliced : contiguous
}

function placement (o: Option): Placement {
  const p: Placement = {
    pool: o.ctx.pool.name,
    zone: o.ctx.pool.zone,
    segments: o.segments,
    energyKwh: o.kw * o.runMs / HOUR_MS,
    grams: o.grams,
    ...labelsOf(o.ctx.series),
    source: versioned(o.ctx.series),
    usesFallback: usesFallback(o.ctx, o.segments)
  }
  if (o.ctx.banded) {
    const at = (q: PreparedSeries) => q === o.ctx.prepared ? o.grams : gramsFromIntegral(o.segments.reduce((sum, s) => sum + integral(q, s.start, s.end), 0), o.kw)
    p.band = { p10: at(o.ctx.band.p10), p50: at(o.ctx.band.p50), p90: at(o.ctx.band.p90) }
  }
  return p
}

/**
 * The job run at once, contiguously, on the baseline pool, ignoring capacity: from
 * `req.baselineStart` (max(submittedAt, notBefore)) when the pool's series covers that run, else
 * from the earliest start. `rule` is the request's when its first pool is the baseline pool; when
 * that pool has no intensity data and another stands in, it is `config-order`.
 */
function baseline (req: PlanRequest, ctx: PoolContext): PlanBaseline {
  const from = req.baselineStart
  const start = from !== undefined && covers(ctx.prepared, from, from + req.durationMs) ? from : req.earliestStart
  const rule = req.pools.length > 0 && req.pools[0] !== ctx.pool.name ? 'config-order' : req.baselineRule ?? 'config-order'
  return { ...placementAt(req, ctx, [{ start, end: start + req.durationMs }]), rule, model: poolModel(ctx.pool) }
}

type PlanBaseline = Extract<PlanOutcome, { ok: true }>['baseline']

/**
 * `p` priced again on the pool's current series (a new forecast): same segments and energy, new
 * grams and fallback label. Undefined when the pool is unknown or has no data.
 */
export function repriced (req: PlanRequest, p: Placement, catalog: PoolCatalog): Placement | undefined {
  const ctx = catalog.context(p.pool, req.risk)
  if (ctx === undefined || ctx === null) return undefined
  return { ...placementAt(req, ctx, p.segments), energyKwh: p.energyKwh }
}

/** A contiguous or sliced run of `req` on the pool of `ctx` over `segments`, priced. */
export function placementAt (request: PlanRequest, ctx: PoolContext, segments: Interval[]): Placement {
  const req = onPool(request, ctx.pool.name)
  const kw = jobPowerKw(req, ctx.pool)
  let cost = 0
  for (const s of segments) cost += integral(ctx.prepared, s.start, s.end)
  const runMs = req.durationMs + (segments.length - 1) * req.resumeOverheadMs
  return placement({ ctx, rank: 0, segments, integral: cost, kw, runMs, grams: gramsFromIntegral(cost, kw) })
}

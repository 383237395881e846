import { CapacityLedger } from './capacity.js'
import { gramsFromIntegral, jobPowerKw } from './emissions.js'
import { bestSlicesBelow } from './interruptible.js'
import { isCheaper } from './intervals.js'
import { checkRequest, effectiveDeadline, plannerOptions, windowFailure, type PlannerOptions } from './plan-request.js'
import { eligiblePools, integralFloor, noCapacity, PoolCatalog, usesFallback, type PoolContext, type PoolView } from './planner-pools.js'
import { integral } from './series.js'
import { HOUR_MS, type Instant, type Interval, type Placement, type PlanOutcome, type PlanRequest } from './types.js'
import { bestContiguousStart } from './window.js'

export { latestSafeStart, PlanInputError, type PlannerOptions } from './plan-request.js'
export type { PoolView } from './planner-pools.js'

/**
 * Plans one job: the pool and window (or slices, for an interruptible job) emitting the least
 * CO2e by the deadline, against the pools' existing reservations. The earliest start is
 * max(req.earliestStart, now): nothing is planned in the past. Expected failures come back as
 * values; a malformed request throws `PlanInputError`.
 */
export function planJob (req: PlanRequest, pools: readonly PoolView[], now: Instant, opts?: Partial<PlannerOptions>): PlanOutcome {
  const r = startingNoEarlierThan(req, now)
  checkRequest(r)
  const failure = windowFailure(r)
  if (failure !== undefined) return failure
  return planWith(r, new PoolCatalog(pools, r.earliestStart, r.deadline), ledgerOf(pools), plannerOptions(opts))
}

/**
 * Plans many jobs together on one capacity ledger seeded with every pool's reservations: earliest
 * deadline first (ties: earlier start, then id), each placement reserving its GPUs before the next
 * job is planned, so no pool is ever over its gpuCount. Returns an outcome per id.
 */
export function planJobs (
  reqs: ReadonlyArray<PlanRequest & { id: string }>, pools: readonly PoolView[], now: Instant, opts?: Partial<PlannerOptions>
): Map<string, PlanOutcome> {
  const o = plannerOptions(opts)
  const jobs = reqs.map(r => startingNoEarlierThan(r, now))
  jobs.forEach(checkRequest)
  const order = [...jobs].sort((a, b) => a.deadline - b.deadline || a.earliestStart - b.earliestStart || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const from = jobs.reduce((t, r) => Math.min(t, r.earliestStart), Infinity)
  const until = jobs.reduce((t, r) => Math.max(t, r.deadline), -Infinity)
  const catalog = new PoolCatalog(pools, from, until)
  const ledger = ledgerOf(pools)
  const outcomes = new Map<string, PlanOutcome>()
  for (const r of order) {
    const outcome = windowFailure(r) ?? planWith(r, catalog, ledger, o)
    if (outcome.ok) {
      for (const s of outcome.placement.segments) ledger.reserve({ pool: outcome.placement.pool, start: s.start, end: s.end, gpus: r.gpus, jobId: r.id })
    }
    outcomes.set(r.id, outcome)
  }
  return new Map(jobs.map(r => [r.id, outcomes.get(r.id)!]))
}

function startingNoEarlierThan<R extends PlanRequest> (req: R, now: Instant): R {
  return req.earliestStart >= now ? req : { ...req, earliestStart: now }
}

function ledgerOf (pools: readonly PoolView[]): CapacityLedger {
  return new CapacityLedger(pools.flatMap(v => v.reservations.map(r => ({ ...r, pool: v.pool.name }))))
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

function planWith (req: PlanRequest, catalog: PoolCatalog, ledger: CapacityLedger, o: PlannerOptions): PlanOutcome {
  const eligible = eligiblePools(req, catalog)
  if (!eligible.ok) return eligible
  const deadline = effectiveDeadline(req, o.safetyMarginMs)
  // Cheapest-looking pools first, so that once the best found beats a pool's floor it beats every
  // later one and the rest are skipped: a quote over 20 pools usually prices only a few.
  const pools = eligible.competing.map((ctx, rank) => {
    const kw = jobPowerKw(req, ctx.pool)
    return { ctx, rank, floor: gramsFromIntegral(integralFloor(ctx, req.earliestStart, deadline, req.durationMs), kw) }
  }).sort((a, b) => a.floor - b.floor || a.rank - b.rank)
  let best: Option | undefined
  for (const { ctx, rank, floor } of pools) {
    if (best !== undefined && isCheaper(best.grams, floor)) break
    const blocked = ledger.blockedIntervals(ctx.pool.name, ctx.pool.gpuCount, req.gpus, req.earliestStart, deadline)
    const option = bestOnPool(req, ctx, rank, blocked, deadline, o.quantumMs, best?.grams ?? Infinity)
    if (option !== undefined && (best === undefined || beats(option, best))) best = option
  }
  if (best === undefined) return noCapacity(req, eligible.competing, deadline)
  return { ok: true, placement: placement(best), baseline: baseline(req, eligible.baseline), latestSafeStart: deadline - req.durationMs }
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
  return {
    pool: o.ctx.pool.name,
    zone: o.ctx.pool.zone,
    segments: o.segments,
    energyKwh: o.kw * o.runMs / HOUR_MS,
    grams: o.grams,
    signal: o.ctx.series.signal,
    source: o.ctx.series.source,
    usesFallback: usesFallback(o.ctx, o.segments)
  }
}

/** The job run at once, contiguously, on the baseline pool, ignoring capacity. */
function baseline (req: PlanRequest, ctx: PoolContext): Placement {
  const d = req.durationMs
  const segments = [{ start: req.earliestStart, end: req.earliestStart + d }]
  const kw = jobPowerKw(req, ctx.pool)
  const cost = integral(ctx.prepared, req.earliestStart, req.earliestStart + d)
  return placement({ ctx, rank: 0, segments, integral: cost, kw, runMs: d, grams: gramsFromIntegral(cost, kw) })
}

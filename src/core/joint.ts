import { isCheaper } from './intervals.js'
import { Board, type Planned } from './joint-board.js'
import { improve } from './joint-improve.js'
import { placeMost } from './joint-exact.js'
import { greedyWithRetries, warmStart } from './joint-start.js'
import { byDeadline, catalogFor, ledgerOf, planWith, startingNoEarlierThan, type IdentifiedRequest } from './place.js'
import { checkRequest, effectiveDeadline, plannerOptions, windowFailure, type PlannerOptions } from './plan-request.js'
import { eligiblePools, type PoolCatalog, type PoolView } from './planner-pools.js'
import { HOUR_MS, type Instant, type Placement, type PlanOutcome } from './types.js'

/** Tuning of `planJointly`. */
export interface JointOptions extends PlannerOptions {
  /**
   * Most single-job plans the improvement pass may spend: a count, not a clock, so results
   * repeat. Default 20 per job + 1,000; one plan over 4 pools and a day of hourly points costs
   * ~20–50 µs.
   */
  maxEvaluations: number
  /**
   * Most search nodes of the exact repair, run only on batches of ≤ 8 jobs with some left out
   * (default 50,000: 8 jobs of which only 3 fit on 3 one-GPU pools take ~27,000 nodes, ~150 ms).
   */
  maxRepairNodes: number
  /**
   * A plan already in force, by job id (e.g. the placements of planned jobs being re-planned on a
   * new forecast). Entries that are still feasible are a starting point: the result then places
   * at least as many of these jobs and, on the current series, costs no more.
   */
  current?: ReadonlyMap<string, Placement>
}

/** Greedy re-runs with the left-out jobs first, per start order. */
const RETRY_ROUNDS = 3
const EXACT_REPAIR_JOBS = 8

/**
 * Plans jobs that compete for the same pools together, never over any pool's capacity:
 * 1. each job alone against the pools' reservations (its ideal: a lower bound and its baseline);
 * 2. greedy plans in three orders — earliest deadline first (exactly `planJobs`), fewest
 *    alternatives first, most energy first — each re-run with left-out jobs first, and the
 *    `current` plan if given; the plan placing most jobs, then the cheapest, is kept;
 * 3. for ≤ 8 jobs with some left out, an exact search for the most jobs that fit;
 * 4. an improvement pass (re-placing left-out jobs, relocations, exchanges: see `improve`) while
 *    the total falls, within `maxEvaluations`.
 * So the total never exceeds `planJobs`' when that places every job. Baselines stay "run at once
 * on the baseline pool". Returns an outcome per id, like `planJobs`.
 */
export function planJointly (
  reqs: readonly IdentifiedRequest[], pools: readonly PoolView[], now: Instant, opts: Partial<JointOptions> = {}
): Map<string, PlanOutcome> {
  const o = plannerOptions(opts)
  const jobs = reqs.map(r => startingNoEarlierThan(r, now))
  jobs.forEach(checkRequest)
  const catalog = catalogFor(jobs, pools)
  const fixed = new Map<string, PlanOutcome>()
  const ideals = new Map<string, Planned>()
  const outside = ledgerOf(pools)
  for (const j of jobs) {
    const out = windowFailure(j) ?? planWith(j, catalog, outside, o)
    if (out.ok) ideals.set(j.id, out)
    else fixed.set(j.id, out)
  }
  const live = jobs.filter(j => ideals.has(j.id))
  const spent = { n: 0 }
  const byId = new Map(live.map(j => [j.id, j]))
  const fresh = (): Board => new Board(byId, ideals, catalog, ledgerOf(pools), outside, o, spent)
  // Earliest deadline first comes first, so that it wins ties: its first pass is `planJobs`.
  let best = greedyWithRetries(fresh, [...live].sort(byDeadline), RETRY_ROUNDS)
  for (const order of lookAheadOrders(live, ideals, catalog, o)) best = better(greedyWithRetries(fresh, order, RETRY_ROUNDS), best)
  if (opts.current !== undefined) best = better(warmStart(fresh(), opts.current), best)
  if (best.placed.size < live.length && live.length <= EXACT_REPAIR_JOBS) best = better(exact(fresh, opts.maxRepairNodes ?? 50_000), best)
  improve(best, opts.maxEvaluations ?? 20 * live.length + 1_000)
  return new Map(jobs.map(j => [j.id, fixed.get(j.id) ?? best.outcome(j.id)]))
}

/** The board placing more jobs, then the cheaper one (ties keep `b`). */
function better (a: Board, b: Board): Board {
  if (a.placed.size !== b.placed.size) return a.placed.size > b.placed.size ? a : b
  return isCheaper(a.total(), b.total()) ? a : b
}

/** The exact search's placements on a board of their own. */
function exact (fresh: () => Board, maxNodes: number): Board {
  const most = placeMost(fresh(), maxNodes)
  const board = fresh()
  for (const [id, p] of most) board.put(id, p)
  return board
}

/**
 * Two look-ahead orders beside earliest deadline first. Fewest alternatives first: a job with 1
 * pool and 1 h of slack has ~2 distinct hourly windows, one with 4 pools and 24 h has ~100; the
 * first must be served before the second fills its only window. Most energy first: a 4-kWh job
 * moved from a 300 to a 100 g/kWh hour avoids 800 g, a 0.4-kWh job only 80 g, so the large one
 * should get first pick of the green hours (and large items first also pack tighter).
 */
function lookAheadOrders (live: readonly IdentifiedRequest[], ideals: ReadonlyMap<string, Planned>, catalog: PoolCatalog, o: PlannerOptions): IdentifiedRequest[][] {
  const choices = new Map(live.map(j => {
    const slackHours = (effectiveDeadline(j, o.safetyMarginMs) - j.earliestStart - j.durationMs) / HOUR_MS
    const eligible = eligiblePools(j, catalog)
    return [j.id, (eligible.ok ? eligible.competing.length : 0) * (slackHours + 1)]
  }))
  const energy = (j: IdentifiedRequest): number => ideals.get(j.id)!.placement.energyKwh
  return [
    [...live].sort((a, b) => choices.get(a.id)! - choices.get(b.id)! || byDeadline(a, b)),
    [...live].sort((a, b) => energy(b) - energy(a) || byDeadline(a, b))
  ]
}

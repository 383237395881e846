import type { CapacityLedger } from './capacity.js'
import { checkRequest, plannerOptions, windowFailure, type PlannerOptions } from './plan-request.js'
import { PoolCatalog, type PoolView } from './planner-pools.js'
import { byDeadline, catalogFor, ledgerOf, planInOrder, planWith, startingNoEarlierThan } from './place.js'
import type { Instant, PlanOutcome, PlanRequest } from './types.js'

export { latestSafeStart, PlanInputError, type PlannerOptions } from './plan-request.js'
export type { PoolView } from './planner-pools.js'

/**
 * Plans one job: the pool and window (or slices, for an interruptible job) emitting the least
 * CO2e by the deadline, against the pools' existing reservations, or against `reserved` when
 * given (a ledger kept up to date elsewhere; only read). The earliest start is
 * max(req.earliestStart, now): nothing is planned in the past. Expected failures come back as
 * values; a malformed request throws `PlanInputError`.
 */
export function planJob (req: PlanRequest, pools: readonly PoolView[], now: Instant, opts?: Partial<PlannerOptions>, reserved?: CapacityLedger): PlanOutcome {
  const r = startingNoEarlierThan(req, now)
  checkRequest(r)
  const failure = windowFailure(r)
  if (failure !== undefined) return failure
  return planWith(r, new PoolCatalog(pools, r.earliestStart, r.deadline), reserved ?? ledgerOf(pools), plannerOptions(opts))
}

/**
 * Plans many jobs together on one capacity ledger seeded with every pool's reservations: earliest
 * deadline first (ties: earlier start, then id), each placement reserving its GPUs before the next
 * job is planned, so no pool is ever over its gpuCount. Returns an outcome per id.
 */
export function planJobs (
  reqs: ReadonlyArray<PlanRequest & { id: string }>, pools: readonly PoolView[], now: Instant, opts?: Partial<PlannerOptions>
): Map<string, PlanOutcome> {
  const jobs = reqs.map(r => startingNoEarlierThan(r, now))
  jobs.forEach(checkRequest)
  const outcomes = planInOrder([...jobs].sort(byDeadline), catalogFor(jobs, pools), ledgerOf(pools), plannerOptions(opts))
  return new Map(jobs.map(r => [r.id, outcomes.get(r.id)!]))
}

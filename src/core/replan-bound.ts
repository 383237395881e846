import { gramsFromIntegral, jobPowerKw } from './emissions.js'
import { onPool } from './plan-request.js'
import { repriced, type IdentifiedRequest } from './place.js'
import { eligiblePools, integralFloor, type PoolCatalog } from './planner-pools.js'
import type { Placement } from './types.js'
import type { ReplanThreshold } from './replan.js'

/** Grams added to the most a job could save, so that rounding in prefix sums never rules out a real move. */
const SLACK_GRAMS = 1e-6

/**
 * Whether a job cannot pass the threshold wherever it goes: its current placement priced on the
 * new forecast, against the least any placement in its window could cost (its duration × the
 * lowest intensity there on any pool it may compete on, capacity aside: `integralFloor`). This
 * bound does not depend on the ledger, so such a job is never moved and need not be planned: in a
 * steady re-plan most jobs already sit in their cheapest hours. Also true when `bestMove` would
 * find nothing (the placement cannot be priced, or no pool is eligible). `r` is window-bounded
 * (its deadline is its latest safe start + duration, planned with no further margin).
 */
export function cannotPass (r: IdentifiedRequest, current: Placement, catalog: PoolCatalog, threshold: ReplanThreshold): boolean {
  const from = repriced(r, current, catalog)
  const eligible = eligiblePools(r, catalog)
  if (from === undefined || !eligible.ok) return true
  let floor = Infinity
  for (const ctx of eligible.competing) {
    floor = Math.min(floor, gramsFromIntegral(integralFloor(ctx, r.earliestStart, r.deadline, onPool(r, ctx.pool.name).durationMs), jobPowerKw(r, ctx.pool)))
  }
  const most = from.grams - floor + SLACK_GRAMS
  return !(most > threshold.grams && (from.grams > 0 ? 100 * most / from.grams : 0) > threshold.percent)
}

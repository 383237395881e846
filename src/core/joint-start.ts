import type { Board } from './joint-board.js'
import { makeRoom } from './joint-room.js'
import { byDeadline, planInOrder, repriced, type IdentifiedRequest } from './place.js'
import { effectiveDeadline, onPool } from './plan-request.js'
import type { Placement } from './types.js'

/** `board` with `order` placed one job at a time. */
export function greedy (board: Board, order: readonly IdentifiedRequest[]): Board {
  const outcomes = planInOrder(order, board.catalog, board.ledger, board.o)
  board.spent.n += order.length
  for (const [id, out] of outcomes) {
    if (out.ok) board.placed.set(id, out.placement)
    else board.failures.set(id, out)
  }
  return board
}

/**
 * A greedy plan in `order`, re-run up to `rounds` times with every job left out so far moved to
 * the front (a job that found no room after the others were placed often fits when placed first);
 * the plan placing most jobs wins, the earlier on ties. Jobs still left out then get `makeRoom`,
 * so that a cheap order is not discarded for lacking one job another order happened to fit.
 */
export function greedyWithRetries (fresh: () => Board, order: readonly IdentifiedRequest[], rounds: number): Board {
  let best = greedy(fresh(), order)
  const first = new Set<string>()
  for (let round = 0; round < rounds && best.placed.size < order.length; round++) {
    for (const j of order) if (!best.placed.has(j.id)) first.add(j.id)
    const promoted = [...order.filter(j => first.has(j.id)), ...order.filter(j => !first.has(j.id))]
    const tried = greedy(fresh(), promoted)
    if (tried.placed.size > best.placed.size) best = tried
  }
  for (const j of order) if (!best.placed.has(j.id)) makeRoom(best, j.id)
  return best
}

/** The still-feasible entries of `current`, repriced, earliest deadline first; then the other jobs greedily. */
export function warmStart (board: Board, current: ReadonlyMap<string, Placement>): Board {
  const order = [...board.jobs.values()].sort(byDeadline)
  for (const j of order) {
    const p = current.get(j.id)
    const priced = p === undefined || !fits(board, j, p) ? undefined : repriced(j, p, board.catalog)
    if (priced !== undefined) board.put(j.id, priced)
  }
  for (const j of order) if (!board.placed.has(j.id)) board.place(j.id)
  return board
}

/** True when `p` lies in the job's window, on a pool it may use, with its GPUs free throughout. */
function fits (board: Board, j: IdentifiedRequest, p: Placement): boolean {
  const pool = board.catalog.pool(p.pool)
  const first = p.segments[0]
  const last = p.segments.at(-1)
  if (pool === undefined || !pool.enabled || first === undefined || last === undefined) return false
  if (j.pools.length > 0 && !j.pools.includes(p.pool)) return false
  // Only pools on the baseline's signal compete (see `eligiblePools`).
  if (board.catalog.context(p.pool)?.series.signal !== board.ideals.get(j.id)!.placement.signal) return false
  const there = onPool(j, p.pool)
  if (first.start < j.earliestStart || last.end > effectiveDeadline(there, board.o.safetyMarginMs)) return false
  const work = p.segments.reduce((ms, s) => ms + s.end - s.start, 0)
  return work >= there.durationMs && p.segments.every(s => board.ledger.blockedIntervals(p.pool, pool.gpuCount, j.gpus, s.start, s.end).length === 0)
}

import { isCheaper } from './intervals.js'
import type { Board } from './joint-board.js'
import { blockersOf, makeRoom } from './joint-room.js'
import { byDeadline } from './place.js'
import type { Placement } from './types.js'

/** Blockers tried one at a time (a pair exchange) before all of them together. */
const PAIR_TRIES = 3
/** Most blockers released together in one group move: each costs a re-plan. */
const GROUP_MAX = 6

/**
 * Local search on a joint plan while the total falls, within `budget` single-job plans: retry
 * every unplaced job (capacity may have freed; else `makeRoom`), then for each job still dearer
 * than its ideal (its best plan with no other batch job around), largest excess first,
 * - relocate it: free it and plan it against everyone else; keep the new place if cheaper;
 * - exchange: free it and a job holding its ideal window, plan it first and the other after,
 *   keep both if their sum fell; then the same with every holder of that window (≤ 6).
 * A move is kept only when the total falls by more than rounding, so the total never rises and
 * no placed job is ever dropped.
 */
export function improve (board: Board, budget: number): void {
  const limit = board.evaluations + budget
  let improved = true
  while (improved && board.evaluations < limit) {
    improved = false
    for (const id of board.jobs.keys()) {
      if (board.evaluations >= limit) return
      if (!board.placed.has(id) && (board.place(id) || makeRoom(board, id))) improved = true
    }
    for (const id of byGap(board)) {
      if (board.evaluations >= limit) return
      if (relocate(board, id) || exchange(board, id)) improved = true
    }
  }
}

/** Placed jobs dearer than their ideal, the largest excess first. */
function byGap (board: Board): string[] {
  const gaps: Array<[string, number]> = []
  for (const [id, p] of board.placed) {
    const ideal = board.ideals.get(id)!.placement.grams
    if (isCheaper(ideal, p.grams)) gaps.push([id, p.grams - ideal])
  }
  return gaps.sort((a, b) => b[1] - a[1]).map(([id]) => id)
}

function relocate (board: Board, id: string): boolean {
  const old = board.take(id)!
  const out = board.plan(id)
  if (out.ok && isCheaper(out.placement.grams, old.grams)) {
    board.put(id, out.placement)
    return true
  }
  board.put(id, old)
  return false
}

function exchange (board: Board, id: string): boolean {
  const blockers = blockersOf(board, id, board.ideals.get(id)!.placement)
  for (const other of blockers.slice(0, PAIR_TRIES)) if (regroup(board, id, [other])) return true
  return blockers.length > 1 && blockers.length <= GROUP_MAX && regroup(board, id, blockers)
}

/** Frees `id` and `others`, plans `id` first and the others by deadline; keeps it if the sum fell. */
function regroup (board: Board, id: string, others: string[]): boolean {
  const saved = new Map<string, Placement>()
  for (const x of [id, ...others]) saved.set(x, board.take(x)!)
  const before = [...saved.values()].reduce((s, p) => s + p.grams, 0)
  const order = [id, ...others.map(x => board.job(x)).sort(byDeadline).map(j => j.id)]
  let after = 0
  for (const x of order) {
    const out = board.plan(x)
    if (!out.ok) break
    board.put(x, out.placement)
    after += out.placement.grams
  }
  if (order.every(x => board.placed.has(x)) && isCheaper(after, before)) return true
  for (const x of order) board.take(x)
  for (const [x, p] of saved) board.put(x, p)
  return false
}

import type { Board } from './joint-board.js'
import { byDeadline, placementAt, type IdentifiedRequest } from './place.js'
import { effectiveDeadline, onPool } from './plan-request.js'
import { eligiblePools, type PoolContext } from './planner-pools.js'
import type { Instant, Interval, Placement } from './types.js'

/** Windows tried per left-out job: each try re-plans the jobs in the way. */
const ROOM_TRIES = 4

/** A window a left-out job could take, the placed jobs in its way and the GPU-ms they hold there. */
interface Room {
  placement: Placement
  ids: string[]
  load: number
}

/**
 * Places a left-out job by clearing a window for it. Candidate windows, on every pool it may use,
 * start at its earliest or latest start or where a placed job's segment ends (or end where one
 * starts), and are free of outside reservations; the 4 holding the fewest GPU-hours of placed jobs
 * (then the cheapest) are tried in turn: the jobs in the way are freed, the job takes the window,
 * and they are placed again by deadline; if one finds no room, everything goes back. So a
 * success places one more job and drops none (the total may rise: placing comes first).
 */
export function makeRoom (board: Board, id: string): boolean {
  const j = board.job(id)
  const eligible = eligiblePools(j, board.catalog)
  if (!eligible.ok) return false
  const rooms = eligible.competing.filter(c => c.pool.gpuCount >= j.gpus).flatMap(ctx => roomsOn(board, j, ctx))
  rooms.sort((a, b) => a.load - b.load || a.placement.grams - b.placement.grams)
  return rooms.slice(0, ROOM_TRIES).some(r => clearFor(board, id, r))
}

function roomsOn (board: Board, job: IdentifiedRequest, ctx: PoolContext): Room[] {
  const j = onPool(job, ctx.pool.name)
  const d = j.durationMs
  const lo = j.earliestStart
  const hi = effectiveDeadline(j, board.o.safetyMarginMs) - d
  const near = [...board.placed].filter(([x, p]) => x !== j.id && p.pool === ctx.pool.name && p.segments.some(s => s.end > lo && s.start < hi + d))
  const starts = new Set<Instant>([lo, hi])
  for (const [, p] of near) {
    for (const s of p.segments) for (const t of [s.end, s.start - d]) if (t > lo && t < hi) starts.add(t)
  }
  return [...starts].flatMap(start => {
    const segments = [{ start, end: start + d }]
    if (board.outside.blockedIntervals(ctx.pool.name, ctx.pool.gpuCount, j.gpus, start, start + d).length > 0) return []
    return [{ placement: placementAt(j, ctx, segments), ...blockersAmong(board, near, segments) }]
  })
}

/** Placed jobs other than `id` sharing time with `p` on its pool, most GPU-ms shared first. */
export function blockersOf (board: Board, id: string, p: Placement): string[] {
  const near = [...board.placed].filter(([x, q]) => x !== id && q.pool === p.pool)
  return blockersAmong(board, near, p.segments).ids
}

function blockersAmong (board: Board, near: ReadonlyArray<[string, Placement]>, segments: readonly Interval[]): { ids: string[], load: number } {
  const shares: Array<[string, number]> = []
  let load = 0
  for (const [other, q] of near) {
    const shared = sharedMs(q.segments, segments) * board.job(other).gpus
    if (shared === 0) continue
    shares.push([other, shared])
    load += shared
  }
  return { ids: shares.sort((a, b) => b[1] - a[1]).map(([x]) => x), load }
}

function clearFor (board: Board, id: string, room: Room): boolean {
  const saved = new Map(room.ids.map(x => [x, board.take(x)!]))
  const p = room.placement
  const pool = board.catalog.pool(p.pool)!
  if (p.segments.every(s => board.ledger.blockedIntervals(p.pool, pool.gpuCount, board.job(id).gpus, s.start, s.end).length === 0)) {
    board.put(id, p)
    const order = room.ids.map(x => board.job(x)).sort(byDeadline)
    if (order.every(x => board.place(x.id))) return true
    board.take(id)
    for (const x of order) board.take(x.id)
  }
  for (const [x, q] of saved) board.put(x, q)
  return false
}

/** Total time two segment lists share, ms. */
function sharedMs (a: readonly Interval[], b: readonly Interval[]): number {
  let ms = 0
  for (const x of a) for (const y of b) ms += Math.max(0, Math.min(x.end, y.end) - Math.max(x.start, y.start))
  return ms
}

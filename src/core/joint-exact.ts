import { mergeIntervals } from './intervals.js'
import type { Board } from './joint-board.js'
import { byDeadline, placementAt, type IdentifiedRequest } from './place.js'
import { effectiveDeadline, onPool } from './plan-request.js'
import { eligiblePools, type PoolContext } from './planner-pools.js'
import { coveredUntil } from './series.js'
import type { Instant, Interval, Placement } from './types.js'

/**
 * The most jobs that fit together, each run contiguously, by depth-first search over which job
 * goes next, on which pool, at its earliest feasible start (a serial schedule-generation scheme).
 * Exact for contiguous jobs: replay any feasible set of placements in order of start, on the same
 * pools, each job at its earliest fit. By induction every job placed so far starts no later than
 * before and none started after the current one, so over the current job's old window they hold
 * a subset of what they held there before: it still fits, no later. Stops after `maxNodes`
 * nodes; `board` must hold no batch job and is left that way.
 */
export function placeMost (board: Board, maxNodes: number): Map<string, Placement> {
  const jobs = [...board.jobs.values()].sort(byDeadline)
  const pools = new Map(jobs.map(j => {
    const e = eligiblePools(j, board.catalog)
    return [j.id, e.ok ? e.competing : []]
  }))
  let best = new Map<string, Placement>()
  let nodes = 0
  const done = (): boolean => nodes > maxNodes || best.size === jobs.length
  const visit = (remaining: IdentifiedRequest[]): void => {
    if (++nodes > maxNodes) return
    if (board.placed.size > best.size) best = new Map(board.placed)
    if (board.placed.size + remaining.length <= best.size || done()) return
    for (let i = 0; i < remaining.length && !done(); i++) {
      const j = remaining[i]!
      const rest = remaining.filter((_, k) => k !== i)
      for (const ctx of pools.get(j.id)!) {
        const start = earliestFit(board, j, ctx)
        if (start === undefined || done()) continue
        board.put(j.id, placementAt(j, ctx, [{ start, end: start + onPool(j, ctx.pool.name).durationMs }]))
        visit(rest)
        board.take(j.id)
      }
    }
    // Or leave the first remaining job out, for when not every job fits.
    if (!done()) visit(remaining.slice(1))
  }
  visit(jobs)
  return best
}

/** Earliest start of `j` on the pool of `ctx` that meets no full stretch and no uncovered time. */
function earliestFit (board: Board, job: IdentifiedRequest, ctx: PoolContext): Instant | undefined {
  const j = onPool(job, ctx.pool.name)
  const d = j.durationMs
  const hi = Math.min(effectiveDeadline(j, board.o.safetyMarginMs), coveredUntil(ctx.prepared)) - d
  const blocked = board.ledger.blockedIntervals(ctx.pool.name, ctx.pool.gpuCount, j.gpus, j.earliestStart, hi + d)
  return firstGap(mergeIntervals([...blocked, ...ctx.prepared.gaps]), Math.max(j.earliestStart, ctx.prepared.starts[0]!), hi, d)
}

/** Least s in [lo, hi] with [s, s + d) meeting none of the sorted, merged `obstacles`. */
function firstGap (obstacles: readonly Interval[], lo: Instant, hi: Instant, d: number): Instant | undefined {
  let s = lo
  for (const o of obstacles) {
    if (s + d <= o.start) break
    if (o.end > s) s = o.end
  }
  return s <= hi ? s : undefined
}

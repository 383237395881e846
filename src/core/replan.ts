import { book, catalogFor, planWith, repriced, type IdentifiedRequest } from './place.js'
import { checkRequest, latestSafeStart, onPool, plannerOptions, type PlannerOptions } from './plan-request.js'
import type { PoolCatalog, PoolView } from './planner-pools.js'
import type { CapacityLedger } from './capacity.js'
import { BoundedLedger } from './bounded-ledger.js'
import { cannotPass } from './replan-bound.js'
import type { Instant, Placement, PlanRequest, Reservation } from './types.js'

/** A job in the plan in force: its request as submitted, where it is placed, whether it has started. */
export interface PlannedJob {
  id: string
  req: PlanRequest
  placement: Placement
  started: boolean
}

/** Hysteresis of re-planning: a move must beat both figures. */
export interface ReplanThreshold {
  /** Least saving in grams CO2e, exclusive. */
  grams: number
  /** Least saving as a % of the job's current emissions on the new forecast, exclusive. */
  percent: number
}

/** One move worth making. `from` is the current placement priced on the new forecast, so `from.grams − to.grams = savingGrams`. */
export interface Move {
  id: string
  from: Placement
  to: Placement
  savingGrams: number
  savingPercent: number
}

/**
 * The moves worth making when a new forecast arrives. `pools` carry the new series; their
 * reservations are the GPUs held by work outside `current` (any reservation tagged with the id
 * of a job in `current` is ignored: each job's own GPUs come from its placement, so a job never
 * blocks itself). A job may move only if it has not started and its current start is after
 * `now`; it is re-planned from max(its earliest start, now) to its latest safe start (computed
 * from the request as submitted, never later), against every other job's reservation, and moves
 * only when the saving on the new forecast exceeds both `threshold.grams` and `threshold.percent`.
 * Candidates are tried largest estimated saving first and applied one at a time to one ledger,
 * so the moves, applied in the order returned, never exceed any pool's capacity. Pure.
 */
export function replanMoves (
  current: readonly PlannedJob[], pools: readonly PoolView[], now: Instant, threshold: ReplanThreshold, opts?: Partial<PlannerOptions>
): Move[] {
  const o = plannerOptions(opts)
  const ids = new Set(current.map(c => c.id))
  const views = pools.map(v => ({ ...v, reservations: v.reservations.filter(r => r.jobId === undefined || !ids.has(r.jobId)) }))
  const held = new Map<string, { req: IdentifiedRequest, placement: Placement }>()
  for (const c of current) {
    checkRequest(c.req)
    held.set(c.id, { req: { ...c.req, id: c.id }, placement: c.placement })
  }
  const ledger = seededLedger(views, held.values())
  const candidates = current.flatMap(c => {
    const bounded = movable(c, now, o)
    return bounded === undefined ? [] : [bounded]
  })
  if (candidates.length === 0) return []
  const catalog = catalogFor(candidates, views)
  // No margin on top: the bounded deadline already is the latest safe start + duration.
  const o0 = { ...o, safetyMarginMs: 0 }
  // A job that cannot pass the threshold never moves, so leaving it out changes no other job's
  // turn (the sort is stable) nor the ledger any job is planned against.
  const live = candidates.filter(r => !cannotPass(r, held.get(r.id)!.placement, catalog, threshold))
  const estimates = new Map(live.map(r => [r.id, bestMove(r, held.get(r.id)!, catalog, ledger, o0)]))
  const saving = (r: IdentifiedRequest): number => estimates.get(r.id)?.savingGrams ?? -Infinity
  const changed = new ChangedSpan()
  const moves: Move[] = []
  for (const r of live.sort((a, b) => saving(b) - saving(a))) {
    // A job's best move depends on the ledger only inside its window: while no move has touched
    // the ledger there, the estimate is what planning it again would give (a steady re-plan of
    // 20,000 jobs then plans each once, not twice).
    const move = changed.overlaps(r.earliestStart, r.deadline) ? bestMove(r, held.get(r.id)!, catalog, ledger, o0) : estimates.get(r.id)
    if (move === undefined || !(move.savingGrams > threshold.grams && move.savingPercent > threshold.percent)) continue
    const { req, placement } = held.get(r.id)!
    book(ledger, req, placement, -1)
    book(ledger, req, move.to)
    changed.add(placement)
    changed.add(move.to)
    held.set(r.id, { req, placement: move.to })
    moves.push(move)
  }
  return moves
}

/** A ledger holding the views' reservations and every job's placement, built in one sort (see `BoundedLedger`). */
function seededLedger (views: readonly PoolView[], held: Iterable<{ req: IdentifiedRequest, placement: Placement }>): CapacityLedger {
  const all: Reservation[] = views.flatMap(v => v.reservations.map(r => ({ ...r, pool: v.pool.name })))
  for (const { req, placement: p } of held) {
    for (const s of p.segments) all.push({ pool: p.pool, start: s.start, end: s.end, gpus: req.gpus, jobId: req.id })
  }
  return new BoundedLedger(all)
}

/** The hull of every interval whose reservations changed, whatever the pool. */
class ChangedSpan {
  private start = Infinity
  private end = -Infinity

  add (p: Placement): void {
    for (const s of p.segments) {
      this.start = Math.min(this.start, s.start)
      this.end = Math.max(this.end, s.end)
    }
  }

  /** Whether [from, to) meets the hull. */
  overlaps (from: Instant, to: Instant): boolean {
    return this.start < to && from < this.end
  }
}

/**
 * The request a movable job is re-planned with: from max(earliest start, now) to its latest safe
 * start + duration. Undefined for a started job, one whose start is not after `now`, or one past
 * its latest safe start (it must be dispatched now, whatever the forecast says).
 */
function movable (c: PlannedJob, now: Instant, o: PlannerOptions): IdentifiedRequest | undefined {
  const start = c.placement.segments[0]?.start
  if (c.started || start === undefined || !(start > now)) return undefined
  // Safe as long as it stays safe where it is planned now.
  const here = onPool(c.req, c.placement.pool)
  const lss = latestSafeStart(here, o)
  const earliestStart = Math.max(c.req.earliestStart, now)
  if (earliestStart > lss) return undefined
  return { ...c.req, id: c.id, earliestStart, deadline: lss + here.durationMs }
}

/**
 * The job's cheapest placement with its own GPUs freed (the ledger is left as it was), against
 * its current placement priced on the new forecast. Undefined when either cannot be priced.
 */
function bestMove (
  r: IdentifiedRequest, held: { req: IdentifiedRequest, placement: Placement }, catalog: PoolCatalog, ledger: CapacityLedger, o: PlannerOptions
): Move | undefined {
  const from = repriced(r, held.placement, catalog)
  book(ledger, held.req, held.placement, -1)
  const out = planWith(r, catalog, ledger, o)
  book(ledger, held.req, held.placement)
  if (from === undefined || !out.ok) return undefined
  const savingGrams = from.grams - out.placement.grams
  return { id: r.id, from, to: out.placement, savingGrams, savingPercent: from.grams > 0 ? 100 * savingGrams / from.grams : 0 }
}

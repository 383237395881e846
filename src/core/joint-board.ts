import type { CapacityLedger } from './capacity.js'
import { book, planWith, type IdentifiedRequest } from './place.js'
import type { PlannerOptions } from './plan-request.js'
import type { PoolCatalog } from './planner-pools.js'
import type { Placement, PlanOutcome } from './types.js'

/** A successful outcome. */
export type Planned = Extract<PlanOutcome, { ok: true }>
/** A failed outcome. */
export type Failed = Extract<PlanOutcome, { ok: false }>

/**
 * One joint plan in progress: which jobs hold which placement, on a ledger holding exactly the
 * pools' outside reservations plus those placements. Every job here could be placed alone (its
 * `ideal` is a plan), so its baseline and latest safe start are known.
 */
export class Board {
  readonly placed = new Map<string, Placement>()
  readonly failures = new Map<string, Failed>()

  constructor (
    readonly jobs: ReadonlyMap<string, IdentifiedRequest>,
    readonly ideals: ReadonlyMap<string, Planned>,
    readonly catalog: PoolCatalog,
    readonly ledger: CapacityLedger,
    /** The pools' outside reservations only (read-only): what each job would face alone. */
    readonly outside: CapacityLedger,
    readonly o: PlannerOptions,
    /** Single-job plans spent, shared by every board of one joint run. */
    readonly spent: { n: number }
  ) {}

  /** Single-job plans spent so far by this run. */
  get evaluations (): number {
    return this.spent.n
  }

  /** The request of a job of this batch. */
  job (id: string): IdentifiedRequest {
    return this.jobs.get(id)!
  }

  /** Σ grams of the placed jobs. */
  total (): number {
    let sum = 0
    for (const p of this.placed.values()) sum += p.grams
    return sum
  }

  /** The job's cheapest placement against everyone else's reservations (its own must be taken first). */
  plan (id: string): PlanOutcome {
    this.spent.n++
    const out = planWith(this.job(id), this.catalog, this.ledger, this.o)
    if (!out.ok) this.failures.set(id, out)
    return out
  }

  /** Reserves `p` for the job. */
  put (id: string, p: Placement): void {
    book(this.ledger, this.job(id), p)
    this.placed.set(id, p)
    this.failures.delete(id)
  }

  /** Frees the job's placement and returns it (undefined when it had none). */
  take (id: string): Placement | undefined {
    const p = this.placed.get(id)
    if (p === undefined) return undefined
    book(this.ledger, this.job(id), p, -1)
    this.placed.delete(id)
    return p
  }

  /** Plans the job against the board and keeps the result when it is a plan. */
  place (id: string): boolean {
    const out = this.plan(id)
    if (out.ok) this.put(id, out.placement)
    return out.ok
  }

  /** The outcome of one job: its placement with its ideal's baseline, or its last failure. */
  outcome (id: string): PlanOutcome {
    const p = this.placed.get(id)
    const ideal = this.ideals.get(id)!
    if (p === undefined) return this.failures.get(id) ?? { ok: false, reason: 'no-capacity', detail: `no GPUs left for job ${id} once the others were placed` }
    return { ok: true, placement: p, baseline: ideal.baseline, latestSafeStart: ideal.latestSafeStart }
  }
}

import type { FactorType, Gas, Instant, Interval, PoolModel, Signal } from './types.js'

// What the planner takes and gives: a job's request, a chosen placement, and the outcome.

/**
 * How a job weighs forecast uncertainty: `neutral` plans on the median forecast (p50); `averse`
 * minimises the window's p90 emissions, giving up some expected saving for a tighter worst case.
 */
export type Risk = 'neutral' | 'averse'

/** Expected grams at the forecast's 10th, 50th and 90th percentiles. */
export interface GramsBand {
  p10: number
  p50: number
  p90: number
}

/** A placement's expected (median) grams, whatever its job's risk minimised. */
export const expectedGrams = (p: { grams: number, band?: GramsBand | undefined }): number => p.band?.p50 ?? p.grams

/** How a job's baseline pool was chosen: its `preferredPool`, its tenant's `homePool`, or the first configured pool that could run it. */
export type BaselineRule = 'preferred' | 'home' | 'config-order'

/** GPUs held in one pool over an interval by a planned or running job. */
export interface Reservation extends Interval {
  pool: string
  gpus: number
  jobId?: string
}

/** What the planner needs to know about a job. */
export interface PlanRequest {
  gpus: number
  durationMs: number
  /** Earliest start: max(now, notBefore). */
  earliestStart: Instant
  deadline: Instant
  interruptible: boolean
  /** Shortest segment an interruptible job may run, ms. */
  minSegmentMs: number
  /** Time lost each time an interruptible job resumes from a checkpoint, ms (extends that segment). */
  resumeOverheadMs: number
  /** Override of the pool power model: per-GPU watts, or a total energy for the whole run. */
  wattsPerGpu?: number
  energyKwh?: number
  /** Pools the job may run in, in preference order; the first is the baseline pool. */
  pools: string[]
  /** How the first pool was chosen as the baseline pool; `config-order` when absent. */
  baselineRule?: BaselineRule
  /** When the baseline starts: max(submittedAt, notBefore); `earliestStart` when absent or not covered by the series. */
  baselineStart?: Instant
  /** What planning minimises: the p50 emissions (`neutral`, the default) or the p90 (`averse`). */
  risk?: Risk
  /**
   * For a job whose run depends on where it runs (its work, estimated per GPU model): its run time
   * on each pool, ms, and optionally its IT energy there (kWh before PUE, as `energyKwh`). A pool
   * not listed takes `durationMs` and the job's power. See `onPool`.
   */
  perPool?: Readonly<Record<string, { durationMs: number, energyKwh?: number }>>
}

/** One chosen placement. */
export interface Placement {
  pool: string
  zone: string
  segments: Interval[]
  energyKwh: number
  /**
   * What planning minimised, in grams (of `gas`) over the segments, on the series of the pool's
   * zone: the median (p50) emissions for a risk-neutral job, the p90 for a risk-averse one. The
   * plan's expected figure is `band.p50` (`expectedGrams`).
   */
  grams: number
  /**
   * The emissions at the forecast's p10, p50 and p90, when the pool's series carries a band (hours
   * without one count at their value in all three). Absent on a series without any band, and on a
   * placement rebuilt from a stored plan, whose `grams` is then the stored expected figure.
   */
  band?: GramsBand
  signal: Signal
  gas: Gas
  factorType: FactorType
  /** The series' source with its version, `<source>@<version>` (see `versioned`). */
  source: string
  /** True when any segment lies beyond the forecast horizon (priced on the fallback profile). */
  usesFallback: boolean
}

export type PlanFailure =
  | 'deadline-passed'
  | 'window-too-short'
  | 'no-eligible-pool'
  | 'too-many-gpus'
  | 'no-capacity'
  | 'no-intensity-data'

export type PlanOutcome =
  | {
    ok: true
    placement: Placement
    /** The same job run at once, contiguously, on the baseline pool, ignoring capacity. */
    baseline: Placement & { rule: BaselineRule, model: PoolModel }
    /** Latest instant at which the job must start, whatever the forecast says. */
    latestSafeStart: Instant
  }
  | { ok: false, reason: PlanFailure, detail: string }

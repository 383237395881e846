import { MINUTE_MS, type Instant, type PlanOutcome, type PlanRequest } from './types.js'

/** Planner tuning. */
export interface PlannerOptions {
  /** Time kept free before the deadline when the window allows it, ms (default 10 min). */
  safetyMarginMs: number
  /** Slot length of the interruptible search, ms (default 5 min). */
  quantumMs: number
}

const DEFAULTS: PlannerOptions = { safetyMarginMs: 10 * MINUTE_MS, quantumMs: 5 * MINUTE_MS }

/** Options with defaults for whatever is missing or undefined. */
export function plannerOptions (opts: Partial<PlannerOptions> = {}): PlannerOptions {
  return {
    safetyMarginMs: opts.safetyMarginMs ?? DEFAULTS.safetyMarginMs,
    quantumMs: opts.quantumMs ?? DEFAULTS.quantumMs
  }
}

/** Thrown for a request no job could have (NaN times, 0 GPUs, …): a caller bug, not a plan failure. */
export class PlanInputError extends Error {
  readonly code = 'INVALID_PLAN_REQUEST'
  constructor (message: string) {
    super(message)
    this.name = 'PlanInputError'
  }
}

/** Throws `PlanInputError` naming the first malformed field of `req`. */
export function checkRequest (req: PlanRequest): void {
  const bad = (field: string, why: string): never => { throw new PlanInputError(`plan request ${field} ${why}`) }
  if (!Number.isInteger(req.gpus) || req.gpus < 1) bad('gpus', `must be a positive integer, got ${req.gpus}`)
  if (!Number.isFinite(req.durationMs) || req.durationMs <= 0) bad('durationMs', `must be > 0, got ${req.durationMs}`)
  if (!Number.isFinite(req.earliestStart)) bad('earliestStart', 'must be a finite instant')
  if (!Number.isFinite(req.deadline)) bad('deadline', 'must be a finite instant')
  if (!(req.minSegmentMs >= 0)) bad('minSegmentMs', `must be ≥ 0, got ${req.minSegmentMs}`)
  if (!(req.resumeOverheadMs >= 0)) bad('resumeOverheadMs', `must be ≥ 0, got ${req.resumeOverheadMs}`)
  if (req.wattsPerGpu !== undefined && !(req.wattsPerGpu > 0)) bad('wattsPerGpu', `must be > 0, got ${req.wattsPerGpu}`)
  if (req.energyKwh !== undefined && !(req.energyKwh >= 0)) bad('energyKwh', `must be ≥ 0, got ${req.energyKwh}`)
}

/** ISO-8601 for messages. */
export function iso (t: Instant): string {
  return new Date(t).toISOString()
}

/**
 * The request as it runs on `pool`: with its duration (and energy) there when it states them per
 * pool (`perPool`), else itself. Everything that places a job on a pool sees it through this.
 */
export function onPool<R extends PlanRequest> (req: R, pool: string): R {
  const there = req.perPool?.[pool]
  if (there === undefined) return req
  return { ...req, durationMs: there.durationMs, ...(there.energyKwh === undefined ? {} : { energyKwh: there.energyKwh }) }
}

/** The shortest run time the job has on any pool, ms. */
export function shortestDurationMs (req: PlanRequest): number {
  if (req.perPool === undefined) return req.durationMs
  return Math.min(req.durationMs, ...Object.values(req.perPool ?? {}).map(p => p.durationMs))
}

/**
 * 'deadline-passed' or 'window-too-short' when [earliestStart, deadline) cannot hold the job on any
 * pool (a job with a duration per pool fits when its shortest does; slower pools then find no window).
 */
export function windowFailure (req: PlanRequest): Extract<PlanOutcome, { ok: false }> | undefined {
  if (req.deadline <= req.earliestStart) {
    return { ok: false, reason: 'deadline-passed', detail: `deadline ${iso(req.deadline)} is not after the earliest start ${iso(req.earliestStart)}` }
  }
  const d = shortestDurationMs(req)
  if (req.earliestStart + d > req.deadline) {
    const minutes = (ms: number) => `${Math.round(ms / MINUTE_MS)} min`
    return {
      ok: false,
      reason: 'window-too-short',
      detail: `durationMs ${minutes(d)} does not fit between ${iso(req.earliestStart)} and deadline ${iso(req.deadline)} (${minutes(req.deadline - req.earliestStart)})`
    }
  }
  return undefined
}

/**
 * The deadline the planner aims for: `deadline − min(safetyMargin, slack)` with
 * slack = deadline − earliestStart − duration, so a margin never makes a tight job infeasible
 * (60 min of work in a 65-min window keeps a 5-min margin, not 10).
 */
export function effectiveDeadline (req: PlanRequest, safetyMarginMs: number): Instant {
  const slack = req.deadline - req.earliestStart - req.durationMs
  return req.deadline - Math.max(0, Math.min(safetyMarginMs, slack))
}

/**
 * The instant by which the job must start whatever the forecast says: effective deadline −
 * duration. With a 10-min margin, a 2-h job due at 12:00 must start by 09:50.
 */
export function latestSafeStart (req: PlanRequest, opts: Partial<PlannerOptions> = {}): Instant {
  return effectiveDeadline(req, plannerOptions(opts).safetyMarginMs) - req.durationMs
}

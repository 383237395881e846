/**
 * Domain types shared by every layer. Instants are UTC epoch milliseconds; intensity is gCO2e/kWh;
 * energy is kWh; emissions are grams CO2e.
 */

/** Epoch milliseconds, UTC. */
export type Instant = number

export const MINUTE_MS = 60_000
export const HOUR_MS = 3_600_000

/** `average` (attributional, e.g. Electricity Maps) or `marginal` (e.g. WattTime MOER). Never mixed. */
export type Signal = 'average' | 'marginal'

/** One piece of a piecewise-constant intensity series: `gPerKwh` holds over [start, end). */
export interface IntensityPoint {
  start: Instant
  end: Instant
  gPerKwh: number
}

/**
 * A piecewise-constant series for one zone, sorted by start, without overlaps. Gaps are allowed in
 * input but the planner only plans over covered time (see `withFallback`).
 * `fallbackFrom`, when set, marks the instant from which the points are a labelled fallback profile
 * (repeated last known day), not a forecast.
 */
export interface Series {
  zone: string
  signal: Signal
  source: string
  points: IntensityPoint[]
  fallbackFrom?: Instant
}

/** A half-open interval [start, end). */
export interface Interval {
  start: Instant
  end: Instant
}

/**
 * Where a pool's jobs run. Secrets never sit in the spec: `secretEnv` and `tokenEnv` name the
 * environment variables the server reads them from.
 */
export type ExecutorSpec =
  | { kind: 'agent' }
  | { kind: 'webhook', url: string, secretEnv: string }
  | { kind: 'slurm', url: string, partition: string, user: string, tokenEnv: string }

export type ExecutorKind = ExecutorSpec['kind']

/** A GPU pool in one grid zone. */
export interface Pool {
  name: string
  zone: string
  gpuModel: string
  gpuCount: number
  wattsPerGpu: number
  /** Power usage effectiveness of the site, >= 1. */
  pue: number
  executor: ExecutorSpec
  enabled: boolean
  /** Embodied (manufacturing) carbon in gCO2e per GPU-hour; reported apart from operational figures. */
  embodiedGPerGpuHour: number | null
}

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
}

/** One chosen placement. */
export interface Placement {
  pool: string
  zone: string
  segments: Interval[]
  energyKwh: number
  /** Expected emissions in grams CO2e over the segments, on the series of the pool's zone. */
  grams: number
  signal: Signal
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
    baseline: Placement
    /** Latest instant at which the job must start, whatever the forecast says. */
    latestSafeStart: Instant
  }
  | { ok: false, reason: PlanFailure, detail: string }

export type JobState = 'pending' | 'planned' | 'dispatched' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled']

/** A job as greenshift keeps it. */
export interface Job {
  id: string
  tenantId: string
  name: string
  state: JobState
  gpus: number
  durationMinutes: number
  deadline: Instant
  notBefore: Instant | null
  interruptible: boolean
  minSegmentMinutes: number
  /** Pools allowed, in preference order; empty with `zones` empty means every pool. */
  pools: string[]
  zones: string[]
  preferredPool: string | null
  wattsPerGpu: number | null
  energyKwh: number | null
  command: string[] | null
  payload: unknown
  labels: Record<string, string>
  submittedAt: Instant
  updatedAt: Instant
  /** The current plan's figures, or null while pending. */
  plan: JobPlan | null
  /** Pools whose executor refused the job for good; it is not planned there again. */
  refusedPools: string[]
}

/** A plan as stored on a job: where, when, and the expected and baseline figures. */
export interface JobPlan {
  pool: string
  zone: string
  segments: Interval[]
  latestSafeStart: Instant
  energyKwh: number
  expected: EmissionsFigure
  baseline: EmissionsFigure & { pool: string, start: Instant }
  expectedAvoidedGrams: number
  plannedAt: Instant
}

/** An emissions figure always says what it is: grams CO2e, signal, source, and how it was got. */
export interface EmissionsFigure {
  grams: number
  signal: Signal
  source: string
  method: 'expected' | 'measured' | 'estimated'
  usesFallback: boolean
}

/**
 * How a run ended, as an executor reported it; `lost` when its agent stopped heart-beating;
 * `refused` when the executor turned the hand-over down for good (a 4xx other than 408/429).
 */
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled' | 'lost' | 'refused'

/**
 * One hand-over of a job to its pool's executor. A job has one run per attempt; a lost agent's
 * job goes back to planning and gets a new attempt.
 */
export interface JobRun {
  jobId: string
  attempt: number
  pool: string
  executor: ExecutorKind
  /** The executor's own id for the run (Slurm job id, agent id), once known. */
  ref: string | null
  dispatchedAt: Instant
  /** When the executor acknowledged the hand-over; null until then (dispatch is retried). */
  acceptedAt: Instant | null
  startedAt: Instant | null
  finishedAt: Instant | null
  heartbeatAt: Instant | null
  /** 0..1 as last reported. */
  progress: number | null
  exitCode: number | null
  /** Measured energy of the run in kWh (GPU energy × pool PUE), when the executor measured it. */
  energyKwh: number | null
  outcome: RunOutcome | null
  detail: string | null
  /** Hand-overs of this run that failed so far; the next is not tried before `retryAt`. */
  handoverTries: number
  retryAt: Instant | null
}

/** A figure of the ledger: grams CO2e with what they rest on. */
export interface LedgerFigure {
  grams: number
  signal: Signal
  /**
   * Where the intensity came from. Expected: the plan's forecast source as stored. Baseline and
   * actual, by part: `actual:<source>`, `forecast:<source>` (or `fallback:<source>` for the labelled
   * fallback profile), joined with ` + ` when actuals cover part and the stored forecast the rest.
   */
  source: string
  method: 'expected' | 'measured' | 'estimated'
  /** True while actual intensity does not yet cover the interval it prices. */
  provisional: boolean
}

/**
 * A job's carbon ledger once it has run: expected (at plan time, forecast), baseline (run at once on
 * the baseline pool) and actual, both on actual intensity with the run's energy, and avoided.
 */
export interface JobLedger {
  energyKwh: number
  energyMethod: 'measured' | 'estimated'
  runMs: number
  expected: LedgerFigure
  baseline: LedgerFigure & { pool: string, zone: string, start: Instant }
  actual: LedgerFigure & { pool: string, zone: string, start: Instant, end: Instant }
  /** baseline − actual, grams CO2e; null when the two rest on different signals (see `avoidedNote`). */
  avoidedGrams: number | null
  /** Why `avoidedGrams` is null; null when it is set. */
  avoidedNote: string | null
  provisional: boolean
  /** gCO2e of manufacturing the GPUs for the run's GPU-hours; null when the pool sets no figure. */
  embodiedGrams: number | null
  computedAt: Instant
}

/**
 * Domain types shared by every layer. Instants are UTC epoch milliseconds; intensity is gCO2e/kWh;
 * energy is kWh; emissions are grams CO2e.
 */
import type { Work } from './estimate/estimate.js'
import type { BaselineRule, Risk } from './plan-types.js'
import type { JobWorkEstimate } from './estimate/history.js'

/** Epoch milliseconds, UTC. */
export type Instant = number

export const MINUTE_MS = 60_000
export const HOUR_MS = 3_600_000

/** `average` (attributional, e.g. Electricity Maps) or `marginal` (e.g. WattTime MOER). Never mixed. */
export type Signal = 'average' | 'marginal'

/** What an intensity counts: CO2 only (WattTime, UK Carbon Intensity, Energinet) or CO2-equivalents (Electricity Maps). */
export type Gas = 'co2' | 'co2e'

/**
 * Which emissions an intensity's factor covers: `lifecycle` (construction, fuel supply and
 * combustion), `direct` (combustion only) or `marginal` (the rate of the marginal plant).
 */
export type FactorType = 'lifecycle' | 'direct' | 'marginal'

/** One piece of a piecewise-constant intensity series: `gPerKwh` holds over [start, end). */
export interface IntensityPoint {
  start: Instant
  end: Instant
  gPerKwh: number
  /**
   * The forecast's 10th and 90th percentiles over the point, g/kWh, where a model gives a band
   * (greenshift's own forecaster does; providers' forecasts carry none). `gPerKwh` is the median.
   */
  p10?: number
  p90?: number
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
  /** What the values count; when absent, `co2e` for average and `co2` for marginal signals. */
  gas?: Gas
  /** When absent, `lifecycle` for average and `marginal` for marginal signals. */
  factorType?: FactorType
  source: string
  /** The version of the data: a file's content hash, or an API's newest fetch time (ISO 8601). */
  version?: string
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
  /** IT power of the host (CPU, RAM, network) per GPU while a job runs, W; 0 when not set. */
  hostWattsPerGpu: number
  /** IT power of a GPU nobody has allocated, W; 0 when not set (no idle row in reports). */
  idleWattsPerGpu: number
  /** The pool's market-based Scope 2 factor; null: none (location-based stands in, average zones only). */
  market: MarketFactor | null
}

/**
 * A market-based Scope 2 emission factor (GHG Protocol): a contractual instrument (PPA, certificates,
 * supplier-specific rate) or the residual mix of the pool's market, gCO2e/kWh.
 */
export interface MarketFactor {
  gPerKwh: number
  /** What the factor rests on, e.g. "PPA wind 2026" or "AIB residual mix DE 2025". */
  instrument: string
  kind: 'contract' | 'residual-mix'
}

/** The power model of a pool when a job ran (or was planned): what its energy is estimated and scaled with. */
export type PoolModel = Pick<Pool, 'name' | 'zone' | 'wattsPerGpu' | 'hostWattsPerGpu' | 'pue' | 'market' | 'embodiedGPerGpuHour'>

/** A pool's power model, to keep beside what it prices. */
export function poolModel (p: PoolModel): PoolModel {
  return {
    name: p.name,
    zone: p.zone,
    wattsPerGpu: p.wattsPerGpu,
    hostWattsPerGpu: p.hostWattsPerGpu ?? 0,
    pue: p.pue,
    market: p.market ?? null,
    embodiedGPerGpuHour: p.embodiedGPerGpuHour
  }
}

/** The functional unit a job's SCI is per: the job, or its GPU-hours. */
export type SciUnit = 'job' | 'gpu-hour'

/** Every state a job can be in, in the order of its life: the API, the CLI and the metrics list them from here. */
export const JOB_STATES = ['pending', 'planned', 'dispatched', 'running', 'succeeded', 'failed', 'cancelled'] as const

export type JobState = typeof JOB_STATES[number]

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
  /** The functional unit of the ledger's SCI figure. */
  sciUnit: SciUnit
  /** What planning minimises: the median emissions, or (averse) the p90. */
  risk: Risk
  command: string[] | null
  payload: unknown
  labels: Record<string, string>
  submittedAt: Instant
  updatedAt: Instant
  /** The current plan's figures, or null while pending. */
  plan: JobPlan | null
  /** The plan the job had before it went back to planning, if it did: its next plan keeps its baseline. */
  priorPlan?: JobPlan
  /** Pools whose executor refused the job for good; it is not planned there again. */
  refusedPools: string[]
  /** What the job computes, when it gave that instead of a duration: `durationMinutes` comes from `workEstimate`. */
  work?: Work
  workEstimate?: JobWorkEstimate
}

/** A plan as stored on a job: where, when, and the expected and baseline figures. */
export interface JobPlan {
  pool: string
  zone: string
  segments: Interval[]
  latestSafeStart: Instant
  energyKwh: number
  expected: EmissionsFigure
  /**
   * The job started at max(submittedAt, notBefore) on the baseline pool; `rule` says how that pool
   * was chosen and `model` is its power model then (both absent on plans from before they were kept).
   */
  baseline: EmissionsFigure & { pool: string, start: Instant, rule?: BaselineRule, model?: PoolModel }
  expectedAvoidedGrams: number
  plannedAt: Instant
}

/** An emissions figure always says what it is: grams CO2e, signal, source, and how it was got. */
export interface EmissionsFigure {
  grams: number
  signal: Signal
  /** Absent on plans made before gases and factor types were labelled (see `labelsOf`). */
  gas?: Gas
  factorType?: FactorType
  source: string
  method: 'expected' | 'measured' | 'estimated'
  usesFallback: boolean
  /**
   * A plan's p10–p90 band around `grams`, from the forecast's quantiles (hours on a provider's
   * forecast, which has none, count at their value in both); absent on older plans and measured figures.
   */
  band?: { p10: number, p90: number }
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
  /** The pool's power model when the run was handed over; null for runs from before it was kept. */
  poolModel: PoolModel | null
}

export type { JobLedger, LedgerAttempt, LedgerFigure, MarketFigure, SciFigure } from './ledger-types.js'
export type { BaselineRule, GramsBand, Placement, PlanFailure, PlanOutcome, PlanRequest, Reservation, Risk } from './plan-types.js'
export { expectedGrams } from './plan-types.js'

import type { Instant, IntensityPoint, Interval, Risk, Signal } from '../core/types.js'
import type { ForecastModel } from '../forecast/model.js'
import type { ForecastArchive } from './forecast.js'
import type { SimJob } from './jobs-csv.js'
import type { SimPool } from './pools-json.js'

/** One grid zone's data: the actual series (what emissions are accounted on) and its forecasts. */
export interface SimZone {
  zone: string
  actual: IntensityPoint[]
  /** Where `actual` came from, e.g. `lets-wait-awhile:ger_ci.csv`. */
  source: string
  /** When set, the planned run sees the newest forecast issued at or before each arrival. */
  forecast?: ForecastArchive
  /** Names the forecast in labels (`forecast:<this>`); default the zone. */
  forecastSource?: string
}

/** What a simulation replays. Without `pools`, each zone is one pool of unlimited capacity. */
export interface SimInput {
  zones: SimZone[]
  jobs: SimJob[]
  pools?: SimPool[]
  /** What every series measures; average and marginal figures are never compared. */
  signal: Signal
  /** How errors refer to the jobs and pools files (default `jobs`, `pools`). */
  jobsName?: string
  poolsName?: string
}

/** Knobs of a simulation. */
export interface SimOptions {
  /** kW per GPU without `pools` (default 1): a 1-GPU job draws exactly this. */
  kw?: number
  /** Default for jobs whose row does not say (default false). */
  interruptible?: boolean
  /** The baseline may start up to this late, contiguously, at the cheapest step (default 0). */
  baselineFlexMinutes?: number
  /** Gaussian error on what the planned run sees, σ = pct % of the series mean, for zones without a forecast. */
  noise?: { pct: number, seed: number }
  /** Hours of actuals before arrival the planned run also sees next to a forecast (default 0). */
  historyHours?: number
  /**
   * For zones without a forecast file: the planned run sees this model's median, forecast at each
   * arrival (from the hour it falls in) from the zone's actuals before that hour only.
   */
  forecastModel?: ForecastModel
  /** What the planned run minimises on the model's forecast: its median (default) or its p90 (see `PlanRequest.risk`). */
  risk?: Risk
  /** Called after each job with the count done and the total. */
  onProgress?: (done: number, total: number) => void
}

/** One job's outcome. Grams are always accounted on the actual series. */
export interface SimJobResult {
  jobId: string
  baselineG: number
  plannedG: number
  oracleG: number
  /** Planned run: first start and last end, segment count, pool; undefined when it could not be placed. */
  start: Instant | undefined
  end: Instant | undefined
  segments: number
  pool: string | undefined
  /** The planned run's segments (empty when it could not be placed). */
  plannedSegments: Interval[]
  /** The planned run ended after the deadline or could not be placed. */
  missed: boolean
  /** Why it could not be placed, when it could not. */
  failure?: string
  /** The planned run's plan priced some of its time on the planner's fallback profile. */
  usesFallback: boolean
  /** The oracle run could not place the job (full pools); `oracleG` is then the baseline's. */
  oracleUnplaced: boolean
}

/** Totals of a simulation; percentages are in percent (5.93 means 5.93 %). */
export interface SimSummary {
  jobs: number
  baselineG: number
  plannedG: number
  oracleG: number
  /** 1 − planned / baseline on the totals. */
  savingPct: number
  oracleSavingPct: number
  /** Mean over jobs of 1 − planned_i / baseline_i (jobs with a 0 g baseline left out). */
  meanJobSavingPct: number
  /** (baseline − planned) / (baseline − oracle); null when the oracle saves nothing. */
  capturedPct: number | null
  /** Jobs whose planned run ends after the deadline or could not be placed: 0 for a sound planner. */
  deadlineMisses: number
  /** Jobs the oracle run could not place (full pools); their oracle grams are the baseline's. */
  oracleUnplaced: number
  /** Jobs whose plan used the planner's labelled fallback beyond the forecast horizon. */
  fallbackJobs: number
  signal: string
  /** What emissions were accounted on. */
  source: string
  /** What the planned run saw: `actual`, `forecast:…` or `noise …`. */
  plannerSaw: string
}

/** A simulation's summary and one row per job, in arrival order. */
export interface SimResult {
  summary: SimSummary
  jobs: SimJobResult[]
}

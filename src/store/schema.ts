import type { ColumnType, GeneratedAlways, Kysely, RawBuilder, Transaction } from 'kysely'
import type { Work, WorkMethod } from '../core/estimate/estimate.js'
import type { JobWorkEstimate } from '../core/estimate/history.js'
import type { ExecutorKind, ExecutorSpec, FactorType, Gas, JobLedger, JobPlan, JobState, MarketFactor, PoolModel, Risk, RunOutcome, SciUnit, Signal } from '../core/types.js'

/**
 * The database as Kysely sees it: one interface per table, snake_case columns. jsonb columns read
 * as parsed values and are written as JSON text (`JSON.stringify`), because `pg` would send a JS
 * array as a PostgreSQL array. Instants are `timestamptz`, read as `Date` on both drivers.
 */
export interface Database {
  tenants: TenantsTable
  api_keys: ApiKeysTable
  pools: PoolsTable
  zones: ZonesTable
  intensity_points: IntensityPointsTable
  jobs: JobsTable
  job_segments: JobSegmentsTable
  job_events: JobEventsTable
  leases: LeasesTable
  job_runs: JobRunsTable
  measurements: MeasurementsTable
  pool_tokens: PoolTokensTable
  pool_releases: PoolReleasesTable
  tenant_queue_counts: TenantQueueCountsTable
  energy_history: EnergyHistoryTable
}

/** A timestamptz column with a database default (`now()`): optional on insert. */
type DefaultedTimestamp = ColumnType<Date, Date | undefined, Date>
/** A jsonb column: read parsed, written as JSON text. */
type Json<T> = ColumnType<T, string, string>
/** A nullable jsonb column: written as JSON text or SQL NULL. */
type NullableJson<T> = ColumnType<T | null, string | null, string | null>

/** What a key may do. */
export type ApiScope = 'submit' | 'read' | 'admin' | 'operator'

/** `forecast` rows are predictions; `actual` rows are the measured (or settled) intensity. */
export type IntensityKind = 'forecast' | 'actual'

/** `planned` intervals come from the current plan; `actual` ones from what ran. */
export type SegmentKind = 'planned' | 'actual'

export interface TenantsTable {
  id: string
  name: string
  created_at: DefaultedTimestamp
  /** This tenant's cap on queued jobs; null: the deployment's default. */
  max_queued_jobs: ColumnType<number | null, number | null | undefined, number | null>
  /** The pool this tenant's jobs would run on without greenshift (their baseline pool); null: none. */
  home_pool: ColumnType<string | null, string | null | undefined, string | null>
}

export interface ApiKeysTable {
  id: string
  tenant_id: string
  name: string
  prefix: string
  key_hash: string
  scopes: Json<ApiScope[]>
  created_at: DefaultedTimestamp
  revoked_at: Date | null
}

export interface PoolsTable {
  name: string
  zone: string
  gpu_model: string
  gpu_count: number
  watts_per_gpu: number
  pue: number
  executor: Json<ExecutorSpec>
  enabled: boolean
  created_at: Date
  updated_at: Date
  embodied_g_per_gpu_hour: ColumnType<number | null, number | null | undefined, number | null>
  /** W per GPU (migration 0010); 0 when not set. */
  host_watts_per_gpu: ColumnType<number, number | undefined, number>
  idle_watts_per_gpu: ColumnType<number, number | undefined, number>
  market: ColumnType<MarketFactor | null, string | null | undefined, string | null>
  /** Changed by every transaction that adds reservations to the pool or changes it (see migration 0008); bigint, read as text. */
  capacity_version: ColumnType<string, never, string | RawBuilder<string>>
}

/** Releases of reservations, appended without a lock: a version per release of a pool. */
export interface PoolReleasesTable {
  pool: string
  version: ColumnType<string, never, never>
}

/** A tenant's queued jobs, kept by a trigger on `jobs`, split into slots; the sum is the count. */
export interface TenantQueueCountsTable {
  tenant_id: string
  slot: number
  n: ColumnType<string, never, never>
}

export interface ZonesTable {
  name: string
  signal: Signal
  providers: Json<unknown>
  updated_at: Date
}

export interface IntensityPointsTable {
  id: GeneratedAlways<number>
  zone: string
  start_at: Date
  end_at: Date
  g_per_kwh: number
  kind: IntensityKind
  signal: Signal
  source: string
  fetched_at: Date
  /** Null on rows from before labels were stored: read as the defaults of `signal` (see `labelsOf`). */
  gas: ColumnType<Gas | null, Gas | null | undefined, Gas | null>
  factor_type: ColumnType<FactorType | null, FactorType | null | undefined, FactorType | null>
  /** The data's own version (a file's content hash); null when the fetch is the version (`fetched_at`). */
  version: ColumnType<string | null, string | null | undefined, string | null>
}

export interface JobsTable {
  id: string
  tenant_id: string
  name: string
  state: JobState
  gpus: number
  duration_minutes: number
  deadline: Date
  not_before: Date | null
  interruptible: boolean
  min_segment_minutes: number
  pools: Json<string[]>
  zones: Json<string[]>
  preferred_pool: string | null
  watts_per_gpu: number | null
  energy_kwh: number | null
  sci_unit: ColumnType<SciUnit, SciUnit | undefined, SciUnit>
  risk: ColumnType<Risk, Risk | undefined, Risk>
  /** The plan a job had before it went back to planning; its next plan keeps its baseline. */
  prior_plan: ColumnType<JobPlan | null, string | null | undefined, string | RawBuilder<string> | null>
  command: NullableJson<string[]>
  payload: NullableJson<unknown>
  labels: Json<Record<string, string>>
  plan: NullableJson<JobPlan>
  pool: string | null
  latest_safe_start: Date | null
  idempotency_key: string | null
  request_hash: string | null
  submitted_at: Date
  updated_at: Date
  ledger: ColumnType<JobLedger | null, string | null | undefined, string | null>
  attempt: ColumnType<number, number | undefined, number>
  /** Pools whose executor refused the job for good: it is not planned there again. */
  refused_pools: ColumnType<string[], string | undefined, string>
  /** Failed ledger computations so far, and when the next may run (back-off). */
  ledger_tries: ColumnType<number, number | undefined, number>
  ledger_retry_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  /** What the job computes, when it gave that instead of a duration (migration 0013), and the estimate its duration came from. */
  work: ColumnType<Work | null, string | null | undefined, string | null>
  work_estimate: ColumnType<JobWorkEstimate | null, string | null | undefined, string | null>
}

/** A measured run of a kind of work (migration 0013): IT energy (before PUE), T = tokens × epochs. */
export interface EnergyHistoryTable {
  id: GeneratedAlways<string>
  tenant_id: string
  family: string
  /** The GPU table's name for the model when it knows it, else the name reduced by `normalizedGpuName`. */
  gpu_model: string
  gpu_count: number
  method: WorkMethod
  parameters: number
  tokens: number
  energy_kwh: number
  duration_minutes: number
  source: 'ledger' | 'codecarbon'
  job_id: string | null
  /** CodeCarbon's id of an imported run: one row per tenant and run id. */
  run_id: ColumnType<string | null, string | null | undefined, string | null>
  created_at: Date
}

export interface JobSegmentsTable {
  id: GeneratedAlways<number>
  job_id: string
  kind: SegmentKind
  pool: string
  start_at: Date
  end_at: Date
  /** The run's attempt, on actual segments (one per attempt, by a unique index); null on planned ones. */
  attempt: ColumnType<number | null, number | null | undefined, number | null>
}

export interface JobEventsTable {
  id: GeneratedAlways<number>
  job_id: string
  at: Date
  type: string
  from_state: JobState | null
  to_state: JobState | null
  reason: string
  data: NullableJson<unknown>
}

export interface LeasesTable {
  name: string
  holder: string
  expires_at: Date
}

export interface JobRunsTable {
  job_id: string
  attempt: number
  pool: string
  executor: ExecutorKind
  ref: string | null
  dispatched_at: Date
  accepted_at: Date | null
  started_at: Date | null
  finished_at: Date | null
  heartbeat_at: Date | null
  progress: number | null
  exit_code: number | null
  energy_kwh: number | null
  outcome: RunOutcome | null
  detail: string | null
  /** Failed hand-overs of this run so far, and when the next try may be made (back-off). */
  handover_tries: ColumnType<number, number | undefined, number>
  retry_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  /** SHA-256 of the secret handed to the agent that claimed this run; its reports must carry it. */
  claim_hash: ColumnType<string | null, string | null | undefined, string | null>
  /** The pool's power model when the run was handed over; null for runs from before it was kept. */
  pool_model: ColumnType<PoolModel | null, string | null | undefined, string | null>
}

export interface MeasurementsTable {
  id: GeneratedAlways<number>
  job_id: string
  attempt: number
  at: Date
  power_w: number | null
  energy_kwh: number | null
}

export interface PoolTokensTable {
  id: string
  pool: string
  name: string
  prefix: string
  token_hash: string
  created_at: Date
  revoked_at: Date | null
}

/** The first argument of every query function: the database or a transaction on it. */
export type Db = Kysely<Database> | Transaction<Database>

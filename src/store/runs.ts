import { poolModel, type ExecutorKind, type Instant, type Job, type JobRun, type JobState, type PoolModel, type RunOutcome } from '../core/types.js'
import { toJob } from './job-rows.js'
import { toDate, toInstant, toInstantOrNull, toJson } from './convert.js'
import type { Db, JobRunsTable } from './schema.js'
import { sql, type RawBuilder, type Selectable, type Updateable } from 'kysely'

function toRun (r: Selectable<JobRunsTable>): JobRun {
  return {
    jobId: r.job_id,
    attempt: r.attempt,
    pool: r.pool,
    executor: r.executor,
    ref: r.ref,
    dispatchedAt: toInstant(r.dispatched_at),
    acceptedAt: toInstantOrNull(r.accepted_at),
    startedAt: toInstantOrNull(r.started_at),
    finishedAt: toInstantOrNull(r.finished_at),
    heartbeatAt: toInstantOrNull(r.heartbeat_at),
    progress: r.progress,
    exitCode: r.exit_code,
    energyKwh: r.energy_kwh,
    outcome: r.outcome,
    detail: r.detail,
    handoverTries: r.handover_tries,
    retryAt: toInstantOrNull(r.retry_at),
    poolModel: r.pool_model
  }
}

/** Opens run `attempt` of a job, keeping the pool's power model; a second insert of the same (job, attempt) does nothing. */
export async function insertRun (db: Db, run: { jobId: string, attempt: number, pool: string, model?: PoolModel, executor: ExecutorKind, at: Instant }): Promise<void> {
  await db.insertInto('job_runs').values({
    job_id: run.jobId,
    attempt: run.attempt,
    pool: run.pool,
    executor: run.executor,
    dispatched_at: toDate(run.at),
    pool_model: run.model === undefined ? null : toJson(poolModel(run.model))
  }).onConflict(oc => oc.columns(['job_id', 'attempt']).doNothing()).execute()
}

/** One run of a job. */
export async function getRun (db: Db, jobId: string, attempt: number): Promise<JobRun | undefined> {
  const row = await db.selectFrom('job_runs').selectAll().where('job_id', '=', jobId).where('attempt', '=', attempt).executeTakeFirst()
  return row === undefined ? undefined : toRun(row)
}

/** Every run of a job, first attempt first. */
export async function listRuns (db: Db, jobId: string): Promise<JobRun[]> {
  const rows = await db.selectFrom('job_runs').selectAll().where('job_id', '=', jobId).orderBy('attempt').execute()
  return rows.map(toRun)
}

/** What may change on an open run; instants in epoch ms. */
export interface RunPatch {
  ref?: string | null
  acceptedAt?: Instant
  startedAt?: Instant
  finishedAt?: Instant
  /**
   * A sign of life now. Stamped with the database's clock, as the silence watchdog judges it, so an
   * instance whose clock runs behind never makes a live run look silent (and runs it twice).
   */
  heartbeat?: true
  progress?: number | null
  exitCode?: number | null
  energyKwh?: number | null
  outcome?: RunOutcome
  detail?: string | null
  /** A failed hand-over: counted, and the next one not tried before this instant. */
  retryAt?: Instant
}

/**
 * `finished_at` for a closing patch: never before the run's start, the stored one or the patch's
 * (stored starts are kept). Another instance's clock may be behind the one that booked the start;
 * the schema refuses a run that ends before it starts (`job_runs_finished_after_started`).
 */
function endNotBeforeStart (finishedAt: Instant, startedAt: Instant | undefined): RawBuilder<Date> {
  const start = startedAt === undefined ? sql`started_at` : sql`coalesce(started_at, ${toDate(startedAt)}::timestamptz)`
  return sql<Date>`greatest(${toDate(finishedAt)}::timestamptz, ${start})`
}

/**
 * Changes an open run (one without an outcome) in one conditional statement; `startedAt` and
 * `acceptedAt` are kept if already set. Returns the run as changed, or undefined when it is closed
 * or absent: of two writers closing the same run (an `outcome` in the patch), exactly one gets it
 * back, and the other must do nothing more.
 */
export async function updateRun (db: Db, jobId: string, attempt: number, patch: RunPatch): Promise<JobRun | undefined> {
  const set: Updateable<JobRunsTable> = {}
  if (patch.ref !== undefined) set.ref = patch.ref
  if (patch.progress !== undefined) set.progress = patch.progress
  if (patch.exitCode !== undefined) set.exit_code = patch.exitCode
  if (patch.energyKwh !== undefined) set.energy_kwh = patch.energyKwh
  if (patch.outcome !== undefined) set.outcome = patch.outcome
  if (patch.detail !== undefined) set.detail = patch.detail
  const row = await db.updateTable('job_runs')
    .set(eb => ({
      ...set,
      ...(patch.startedAt === undefined ? {} : { started_at: eb.fn.coalesce('started_at', eb.val(toDate(patch.startedAt))) }),
      ...(patch.acceptedAt === undefined ? {} : { accepted_at: eb.fn.coalesce('accepted_at', eb.val(toDate(patch.acceptedAt))) }),
      ...(patch.finishedAt === undefined ? {} : { finished_at: endNotBeforeStart(patch.finishedAt, patch.startedAt) }),
      ...(patch.heartbeat === undefined ? {} : { heartbeat_at: sql<Date>`clock_timestamp()` }),
      ...(patch.retryAt === undefined ? {} : { retry_at: toDate(patch.retryAt), handover_tries: eb('handover_tries', '+', 1) })
    }))
    .where('job_id', '=', jobId).where('attempt', '=', attempt).where('outcome', 'is', null)
    .returningAll().executeTakeFirst()
  return row === undefined ? undefined : toRun(row)
}

/** Appends an energy sample of a run: power now (W) and/or the energy so far (kWh). */
export async function insertMeasurement (db: Db, m: { jobId: string, attempt: number, at: Instant, powerW: number | null, energyKwh: number | null }): Promise<void> {
  await db.insertInto('measurements').values({
    job_id: m.jobId, attempt: m.attempt, at: toDate(m.at), power_w: m.powerW, energy_kwh: m.energyKwh
  }).execute()
}

/** A run's samples, oldest first. */
export async function listMeasurements (db: Db, jobId: string, attempt: number): Promise<Array<{ at: Instant, powerW: number | null, energyKwh: number | null }>> {
  const rows = await db.selectFrom('measurements').select(['at', 'power_w', 'energy_kwh'])
    .where('job_id', '=', jobId).where('attempt', '=', attempt).orderBy('at').orderBy('id').execute()
  return rows.map(r => ({ at: toInstant(r.at), powerW: r.power_w, energyKwh: r.energy_kwh }))
}

/** An open run with its job, and how long it has been silent by the database's clock. */
export interface OpenRun {
  job: Job & { attempt: number }
  run: JobRun
  /** Milliseconds since the run's last sign of life (start or heartbeat), by the database's clock; null before any. */
  silentMs: number | null
}

/**
 * The open run (no outcome yet) of every job in one of `states`, with the job: the scheduler's list
 * of runs to poll, watch and cancel. Closed runs of finished jobs are never read again.
 */
export async function openRuns (db: Db, states: readonly JobState[]): Promise<OpenRun[]> {
  if (states.length === 0) return []
  const rows = await db.selectFrom('jobs as j')
    .innerJoin('job_runs as r', join => join.onRef('r.job_id', '=', 'j.id').onRef('r.attempt', '=', 'j.attempt'))
    .selectAll('j').select([
      'r.job_id', 'r.pool as run_pool', 'r.executor', 'r.ref', 'r.dispatched_at', 'r.accepted_at', 'r.started_at', 'r.finished_at', 'r.heartbeat_at',
      'r.progress', 'r.exit_code', 'r.energy_kwh as run_energy_kwh', 'r.outcome', 'r.detail', 'r.handover_tries', 'r.retry_at', 'r.claim_hash', 'r.pool_model',
      sql<number | null>`extract(epoch from clock_timestamp() - r.heartbeat_at) * 1000`.as('silent_ms')
    ])
    .where('j.state', 'in', states).where('r.outcome', 'is', null)
    .orderBy('j.submitted_at').orderBy('j.id')
    .execute()
  return rows.map(r => ({
    job: { ...toJob(r), attempt: r.attempt },
    run: toRun({ ...r, pool: r.run_pool, energy_kwh: r.run_energy_kwh }),
    silentMs: r.silent_ms === null ? null : Number(r.silent_ms)
  }))
}

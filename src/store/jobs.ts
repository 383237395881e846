import { sql } from 'kysely'
import type { Job, JobPlan, JobState, Reservation } from '../core/types.js'
import { toDate, toJson } from './convert.js'
import { decodeCursor, encodeCursor, planColumns, toJob, toJobRow } from './job-rows.js'
import type { NewJob } from './job-rows.js'
import type { Db } from './schema.js'

export { InvalidCursorError } from './job-rows.js'
export type { NewJob } from './job-rows.js'

/** States whose planned segments hold GPUs. */
const RESERVING_STATES: readonly JobState[] = ['planned', 'dispatched', 'running']

/**
 * Inserts a job. A second job with the same (tenant, idempotency key) throws the database's
 * unique violation (SQLSTATE 23505); the caller then replays the first via `findByIdempotencyKey`.
 */
export async function insertJob (db: Db, job: NewJob): Promise<void> {
  await db.insertInto('jobs').values(toJobRow(job)).execute()
}

/** A job of this tenant; another tenant's job is `undefined`, as if it did not exist. */
export async function getJob (db: Db, tenantId: string, id: string): Promise<Job | undefined> {
  const row = await db.selectFrom('jobs').selectAll()
    .where('tenant_id', '=', tenantId).where('id', '=', id)
    .executeTakeFirst()
  return row === undefined ? undefined : toJob(row)
}

/** The job a tenant submitted with this Idempotency-Key, with the hash of that request. */
export async function findByIdempotencyKey (db: Db, tenantId: string, key: string): Promise<{ job: Job, requestHash: string | null } | undefined> {
  const row = await db.selectFrom('jobs').selectAll()
    .where('tenant_id', '=', tenantId).where('idempotency_key', '=', key)
    .executeTakeFirst()
  return row === undefined ? undefined : { job: toJob(row), requestHash: row.request_hash }
}

/** Filters and page size of `listJobs`. */
export interface ListJobsOptions {
  state?: JobState | undefined
  /** `nextCursor` of the previous page; absent for the first page. */
  cursor?: string | undefined
  /** Page size, a positive integer. */
  limit: number
}

/**
 * A tenant's jobs, newest first, by keyset pagination on (submitted_at, id) descending: stable
 * under inserts and ties. Throws `InvalidCursorError` for a cursor it did not make.
 */
export async function listJobs (db: Db, tenantId: string, opts: ListJobsOptions): Promise<{ jobs: Job[], nextCursor: string | null }> {
  if (!Number.isInteger(opts.limit) || opts.limit < 1) throw new RangeError(`limit must be a positive integer, got ${opts.limit}`)
  let query = db.selectFrom('jobs').selectAll().where('tenant_id', '=', tenantId)
  if (opts.state !== undefined) query = query.where('state', '=', opts.state)
  if (opts.cursor !== undefined) {
    const after = decodeCursor(opts.cursor)
    query = query.where((eb) => eb(eb.refTuple('submitted_at', 'id'), '<', eb.tuple(toDate(after.submittedAt), after.id)))
  }
  const rows = await query.orderBy('submitted_at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1).execute()
  const jobs = rows.slice(0, opts.limit).map(toJob)
  const last = jobs.at(-1)
  const more = rows.length > opts.limit && last !== undefined
  return { jobs, nextCursor: more ? encodeCursor({ submittedAt: last.submittedAt, id: last.id }) : null }
}

/**
 * Every job (all tenants) in one of `states`, oldest submission first, with its current dispatch
 * attempt (0 before its first dispatch): the scheduler's work list.
 */
export async function jobsInState (db: Db, states: readonly JobState[]): Promise<Array<Job & { attempt: number }>> {
  if (states.length === 0) return []
  const rows = await db.selectFrom('jobs').selectAll()
    .where('state', 'in', states)
    .orderBy('submitted_at').orderBy('id')
    .execute()
  return rows.map(r => ({ ...toJob(r), attempt: r.attempt }))
}

/** A requested state change; see `transitionJob`. */
export interface Transition {
  id: string
  /** States the job may be in for the change to apply. */
  from: readonly JobState[]
  to: JobState
  at: Date
  reason: string
  /** When given, replaces the plan (and the job's `pool` and `latest_safe_start`); null clears it. */
  plan?: JobPlan | null
  /** Event type recorded; default 'transition'. */
  type?: string
  /** Extra jsonb data on the event. */
  data?: unknown
  /** When given, sets the job's current dispatch attempt. */
  attempt?: number
  /** When given, this pool refused the job for good: it joins `refusedPools` and is not planned again. */
  refusedPool?: string
}

/**
 * Moves a job from one of `from` to `to` and appends its `job_events` row, atomically in one
 * statement: the row is locked (`FOR UPDATE`), so of two concurrent calls from the same state
 * exactly one wins. Returns the updated job, or `undefined` if it was not in `from` (or absent).
 */
export async function transitionJob (db: Db, t: Transition): Promise<Job | undefined> {
  if (t.from.length === 0) return undefined
  const set = {
    state: t.to,
    updated_at: t.at,
    ...(t.plan === undefined ? {} : planColumns(t.plan)),
    // Back to planning: the counterfactual of the plan it had stays the job's (see `priorPlan`).
    ...(t.plan === null ? { prior_plan: sql<string>`coalesce(jobs.plan, jobs.prior_plan)` } : {}),
    ...(t.attempt === undefined ? {} : { attempt: t.attempt }),
    ...(t.refusedPool === undefined ? {} : { refused_pools: sql<string>`jobs.refused_pools || jsonb_build_array(${t.refusedPool}::text)` })
  }
  const row = await db
    .with('old', (qb) => qb.selectFrom('jobs').select(['id', 'state'])
      .where('id', '=', t.id).where('state', 'in', t.from).forUpdate())
    .with('moved', (qb) => qb.updateTable('jobs').from('old').set(set)
      .whereRef('jobs.id', '=', 'old.id')
      .returningAll('jobs').returning('old.state as from_state'))
    .with('event', (qb) => qb.insertInto('job_events')
      .columns(['job_id', 'at', 'type', 'from_state', 'to_state', 'reason', 'data'])
      .expression((eb) => eb.selectFrom('moved').select([
        'moved.id',
        sql<Date>`${t.at}::timestamptz`.as('at'),
        sql<string>`${t.type ?? 'transition'}::text`.as('type'),
        'moved.from_state',
        'moved.state',
        sql<string>`${t.reason}::text`.as('reason'),
        sql<string | null>`${toJson(t.data)}::jsonb`.as('data')
      ])))
    .selectFrom('moved').selectAll()
    .executeTakeFirst()
  return row === undefined ? undefined : toJob(row)
}

/** A job by id whatever its tenant: for the scheduler and executors' callbacks, never for tenant routes. */
export async function getJobById (db: Db, id: string): Promise<(Job & { attempt: number }) | undefined> {
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
  return row === undefined ? undefined : { ...toJob(row), attempt: row.attempt }
}

/**
 * GPUs held by the planned segments of every planned, dispatched or running job, by pool, start
 * and segment id; with `excluding`, less the segments of those jobs (re-planning takes the GPUs of
 * the jobs it moves from their placements, so it reads only what the rest of the work holds).
 * Read as one JSON array with epoch milliseconds: 20,000 segments as rows cost ~0.3 s of row and
 * Date parsing in pg, as one json_agg a single JSON.parse.
 */
export async function activeReservations (db: Db, excluding: readonly string[] = []): Promise<Reservation[]> {
  const result = await sql<{ r: Array<[string, number, number, number, string]> | null }>`
    select json_agg(json_build_array(s.pool, extract(epoch from s.start_at) * 1000, extract(epoch from s.end_at) * 1000, j.gpus, j.id)
        order by s.pool, s.start_at, s.id) as r
    from job_segments s join jobs j on j.id = s.job_id
    where s.kind = 'planned' and j.state in (${sql.join([...RESERVING_STATES])})
      and j.id not in (select jsonb_array_elements_text(${JSON.stringify(excluding)}::jsonb))`.execute(db)
  return (result.rows[0]?.r ?? []).map(([pool, start, end, gpus, jobId]) => ({ pool, gpus, start: Math.round(start), end: Math.round(end), jobId }))
}

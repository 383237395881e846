import { sql, type RawBuilder } from 'kysely'
import type { Instant, Job, JobLedger, JobRun, Signal } from '../core/types.js'
import { toDate, toJson } from './convert.js'
import { toJob } from './job-rows.js'
import { getRun } from './runs.js'
import type { Db } from './schema.js'

/** Stores a job's ledger, replacing the one before, and clears any back-off of failed attempts. */
export async function setLedger (db: Db, jobId: string, ledger: JobLedger): Promise<void> {
  await db.updateTable('jobs').set({ ledger: toJson(ledger), ledger_tries: 0, ledger_retry_at: null }).where('id', '=', jobId).execute()
}

/** A job's ledger could not be computed: counted, and not tried again before `retryAt`. Returns the tries so far. */
export async function postponeLedger (db: Db, jobId: string, retryAt: Instant): Promise<number> {
  const row = await db.updateTable('jobs').set(eb => ({ ledger_tries: eb('ledger_tries', '+', 1), ledger_retry_at: toDate(retryAt) }))
    .where('id', '=', jobId).returning('ledger_tries').executeTakeFirst()
  return row?.ledger_tries ?? 0
}

/** A job's ledger, or null while it has none (or no such job): for the job detail route. */
export async function getLedger (db: Db, jobId: string): Promise<JobLedger | null> {
  const row = await db.selectFrom('jobs').select('ledger').where('id', '=', jobId).executeTakeFirst()
  return row?.ledger ?? null
}

/** A job whose ledger is due, with its closed run and the ledger it has so far. */
export interface LedgerWork {
  job: Job
  run: JobRun
  ledger: JobLedger | null
  /** Failed attempts at computing it so far. */
  tries: number
}

/** Which provisional ledgers `jobsNeedingLedger` hands back; jobs without a ledger always come. */
export interface LedgerDue {
  /** Only provisional ledgers computed before this instant (so a pass does not redo the last pass's work). */
  computedBefore?: Instant
  /** Only provisional ledgers of runs that finished at or after this instant (older ones stay as they are). */
  finishedAfter?: Instant
  /** Only jobs whose back-off after failed attempts has passed by this instant. */
  now?: Instant
}

/**
 * Jobs whose current run closed after it started (succeeded, failed or cancelled with both
 * instants) and whose ledger is missing or provisional: missing first (newest run first, so a job
 * whose intensity is still unknown never holds up later ones), then the longest unrefreshed.
 * A lost run is not a job's last word (it is planned again), so it never gets a ledger.
 */
export async function jobsNeedingLedger (db: Db, limit: number, due: LedgerDue = {}): Promise<LedgerWork[]> {
  const computedAt = sql<number>`(j.ledger->>'computedAt')::double precision`
  const rows = await db.selectFrom('jobs as j')
    .innerJoin('job_runs as r', join => join.onRef('r.job_id', '=', 'j.id').onRef('r.attempt', '=', 'j.attempt'))
    .selectAll('j')
    .where('r.outcome', 'in', ['succeeded', 'failed', 'cancelled'])
    .where('r.started_at', 'is not', null)
    .where('r.finished_at', 'is not', null)
    .whereRef('r.finished_at', '>', 'r.started_at')
    .$if(due.now !== undefined, q => q.where(eb => eb.or([eb('j.ledger_retry_at', 'is', null), eb('j.ledger_retry_at', '<=', toDate(due.now ?? 0))])))
    .where(eb => eb.or([
      eb('j.ledger', 'is', null),
      eb.and([
        eb(sql<boolean>`(j.ledger->>'provisional')::boolean`, '=', true),
        ...(due.computedBefore === undefined ? [] : [eb(computedAt, '<', due.computedBefore)]),
        ...(due.finishedAfter === undefined ? [] : [eb('r.finished_at', '>=', toDate(due.finishedAfter))])
      ])
    ]))
    .orderBy(sql`j.ledger is not null`)
    .orderBy(computedAt)
    .orderBy('r.finished_at', 'desc')
    .orderBy('j.id')
    .limit(limit)
    .execute()
  const work: LedgerWork[] = []
  for (const row of rows) {
    const run = await getRun(db, row.id, row.attempt)
    if (run !== undefined) work.push({ job: toJob(row), run, ledger: row.ledger, tries: row.ledger_tries })
  }
  return work
}

/**
 * Provisional ledgers of jobs whose current run finished before `finishedBefore`, oldest first:
 * their actuals are past retention (see `settleExpired`).
 */
export async function expiredProvisionalLedgers (db: Db, finishedBefore: Instant, limit: number): Promise<Array<{ jobId: string, ledger: JobLedger }>> {
  const rows = await db.selectFrom('jobs as j')
    .innerJoin('job_runs as r', join => join.onRef('r.job_id', '=', 'j.id').onRef('r.attempt', '=', 'j.attempt'))
    .select(['j.id', 'j.ledger'])
    .where(sql<boolean>`(j.ledger->>'provisional')::boolean`, '=', true)
    .where('r.finished_at', '<', toDate(finishedBefore))
    .orderBy('r.finished_at').orderBy('j.id')
    .limit(limit)
    .execute()
  return rows.flatMap(r => r.ledger === null ? [] : [{ jobId: r.id, ledger: r.ledger }])
}

/**
 * One job's ledger work, as `jobsNeedingLedger` hands it out but whatever its ledger: undefined
 * when there is no such job, null when its current run has not closed after starting.
 */
export async function ledgerWork (db: Db, jobId: string): Promise<LedgerWork | null | undefined> {
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst()
  if (row === undefined) return undefined
  const run = await getRun(db, row.id, row.attempt)
  const closed = run !== undefined && run.outcome !== null && run.outcome !== 'lost' && run.outcome !== 'refused' &&
    run.startedAt !== null && run.finishedAt !== null && run.finishedAt > run.startedAt
  return closed ? { job: toJob(row), run, ledger: row.ledger, tries: row.ledger_tries } : null
}

/** How report rows are keyed: UTC day of the run's finish, run pool, its zone, tenant name, or one label's value. */
export type ReportGroup = 'day' | 'pool' | 'zone' | 'tenant' | `label:${string}`

export interface ReportQuery {
  /** Only this tenant's jobs; null for every tenant (admins grouping by tenant). */
  tenantId: string | null
  /** Runs that finished in [from, to). */
  from: Instant
  to: Instant
  groupBy: ReportGroup
}

/**
 * One group of jobs on one signal (figures of two signals are never summed). Grams CO2e, kWh.
 * `baselineGrams` and `avoidedGrams` cover the `avoidedJobs` jobs whose baseline is on the row's
 * signal, `expectedGrams` the `expectedJobs` jobs planned on it: null when there are none.
 */
export interface ReportRow {
  key: string | null
  signal: Signal
  jobs: number
  energyKwh: number
  expectedGrams: number | null
  expectedJobs: number
  baselineGrams: number | null
  actualGrams: number
  avoidedGrams: number | null
  avoidedJobs: number
  /** Null when no job's pool had an embodied figure. */
  embodiedGrams: number | null
  provisionalJobs: number
  measuredJobs: number
  estimatedJobs: number
  /** Every distinct source of the rows' figures, sorted. */
  sources: string[]
}

function keyOf (groupBy: ReportGroup): RawBuilder<string | null> {
  if (groupBy === 'day') return sql`to_char(r.finished_at at time zone 'UTC', 'YYYY-MM-DD')`
  if (groupBy === 'pool') return sql`j.ledger->'actual'->>'pool'`
  if (groupBy === 'zone') return sql`j.ledger->'actual'->>'zone'`
  if (groupBy === 'tenant') return sql`t.name`
  return sql`j.labels->>${groupBy.slice('label:'.length)}`
}

const float = (path: string) => sql<number | null>`(j.ledger #>> ${sql.lit(`{${path}}`)})::double precision`
const text = (path: string) => sql<string | null>`j.ledger #>> ${sql.lit(`{${path}}`)}`

/**
 * The emissions report: jobs with a ledger whose run finished in [from, to), grouped by `groupBy`
 * and by the signal of their actual figure, summed in SQL. Sorted by key (byte order on both
 * databases, null last), then signal.
 */
export async function emissionsReport (db: Db, q: ReportQuery): Promise<ReportRow[]> {
  const ledgers = db.selectFrom('jobs as j')
    .innerJoin('job_runs as r', join => join.onRef('r.job_id', '=', 'j.id').onRef('r.attempt', '=', 'j.attempt'))
    .innerJoin('tenants as t', 't.id', 'j.tenant_id')
    .where('j.ledger', 'is not', null)
    .where('r.finished_at', '>=', toDate(q.from))
    .where('r.finished_at', '<', toDate(q.to))
    .$if(q.tenantId !== null, qb => qb.where('j.tenant_id', '=', q.tenantId as string))
    .select([
      keyOf(q.groupBy).as('key'),
      text('actual,signal').as('signal'),
      float('energyKwh').as('energy'),
      float('expected,grams').as('expected'),
      text('expected,signal').as('expected_signal'),
      float('baseline,grams').as('baseline'),
      float('actual,grams').as('actual'),
      float('avoidedGrams').as('avoided'),
      float('embodiedGrams').as('embodied'),
      sql<boolean>`(j.ledger->>'provisional')::boolean`.as('provisional'),
      text('energyMethod').as('method'),
      text('expected,source').as('expected_source'),
      text('baseline,source').as('baseline_source'),
      text('actual,source').as('actual_source')
    ])
  const rows = await db.selectFrom(ledgers.as('l'))
    .select([
      'l.key',
      sql<Signal>`l.signal`.as('signal'),
      sql<number>`count(*)::int`.as('jobs'),
      sql<number>`sum(l.energy)`.as('energy'),
      sql<number | null>`sum(l.expected) filter (where l.expected_signal = l.signal)`.as('expected'),
      sql<number>`(count(*) filter (where l.expected_signal = l.signal))::int`.as('expected_jobs'),
      sql<number | null>`sum(l.baseline) filter (where l.avoided is not null)`.as('baseline'),
      sql<number>`sum(l.actual)`.as('actual'),
      sql<number | null>`sum(l.avoided)`.as('avoided'),
      sql<number>`count(l.avoided)::int`.as('avoided_jobs'),
      sql<number | null>`sum(l.embodied)`.as('embodied'),
      sql<number>`(count(*) filter (where l.provisional))::int`.as('provisional_jobs'),
      sql<number>`(count(*) filter (where l.method = 'measured'))::int`.as('measured_jobs'),
      sql<number>`(count(*) filter (where l.method = 'estimated'))::int`.as('estimated_jobs'),
      sql<string[]>`jsonb_agg(distinct l.expected_source)`.as('expected_sources'),
      sql<string[]>`jsonb_agg(distinct l.baseline_source)`.as('baseline_sources'),
      sql<string[]>`jsonb_agg(distinct l.actual_source)`.as('actual_sources')
    ])
    .groupBy(['l.key', 'l.signal'])
    .orderBy(sql`l.key collate "C" asc nulls last`)
    .orderBy('l.signal')
    .execute()
  return rows.map(r => ({
    key: r.key,
    signal: r.signal,
    jobs: r.jobs,
    energyKwh: r.energy,
    expectedGrams: r.expected,
    expectedJobs: r.expected_jobs,
    baselineGrams: r.baseline,
    actualGrams: r.actual,
    avoidedGrams: r.avoided,
    avoidedJobs: r.avoided_jobs,
    embodiedGrams: r.embodied,
    provisionalJobs: r.provisional_jobs,
    measuredJobs: r.measured_jobs,
    estimatedJobs: r.estimated_jobs,
    sources: [...new Set([...r.expected_sources, ...r.baseline_sources, ...r.actual_sources])].sort()
  }))
}

import { sql, type Selectable } from 'kysely'
import { poolModel, type Instant, type Job, type JobLedger, type JobRun, type Pool } from '../core/types.js'
import { toDate, toJson } from './convert.js'
import { toJob } from './job-rows.js'
import { listRuns } from './runs.js'
import type { Db, JobsTable } from './schema.js'

/** Stores a job's ledger, replacing the one before, and clears any back-off of failed attempts. */
export async function setLedger (db: Db, jobId: string, ledger: JobLedger): Promise<void> {
  await db.updateTable('jobs').set({ ledger: toJson(ledger), ledger_tries: 0, ledger_retry_at: null }).where('id', '=', jobId).execute()
}

/**
 * Stores a job's ledger as `setLedger` does, under a lock on the job's row, and says whether this
 * write is the first to make it final: the ledger is then marked `metered`, and the mark is kept by
 * every later write (a recompute, a settlement, a restatement), so that a final ledger is counted
 * in the metrics once, whichever pass or replica writes it.
 */
export async function setLedgerMetered (trx: Db, jobId: string, ledger: JobLedger): Promise<boolean> {
  const row = await trx.selectFrom('jobs').select(sql<string | null>`ledger->>'metered'`.as('metered')).where('id', '=', jobId).forUpdate().executeTakeFirst()
  const metered = row?.metered === 'true'
  const first = !metered && !ledger.provisional
  await setLedger(trx, jobId, metered || first ? { ...ledger, metered: true } : ledger)
  return first
}

/**
 * A job's runs and its plan's baseline adopt `pools`' power models as they are now (a restatement):
 * later recomputes of its ledger price with them.
 */
export async function adoptPoolModels (db: Db, jobId: string, pools: readonly Pool[]): Promise<void> {
  for (const pool of pools) {
    const model = toJson(poolModel(pool))
    await db.updateTable('job_runs').set({ pool_model: model }).where('job_id', '=', jobId).where('pool', '=', pool.name).execute()
    await db.updateTable('jobs').set({ plan: sql<string>`jsonb_set(plan, '{baseline,model}', ${model}::jsonb)` })
      .where('id', '=', jobId).where(sql<string>`plan -> 'baseline' ->> 'pool'`, '=', pool.name).execute()
  }
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

/** A job whose ledger is due, with its closed run, every run it had, and the ledger it has so far. */
export interface LedgerWork {
  job: Job
  /** The job's current run, its last. */
  run: JobRun
  /** Every run of the job, first attempt first (`run` among them): the ledger counts each that ran. */
  runs: JobRun[]
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
 * Jobs `j` whose current run `r` is their last and ran: closed after it started, and not lost
 * while the job is planned again. A lost run is not a job's last word while the job is planned
 * again; once the job failed or was cancelled after it, it is, and the ledger counts what it and
 * the other runs drew.
 */
function closedJobs (db: Db) {
  return db.selectFrom('jobs as j')
    .innerJoin('job_runs as r', join => join.onRef('r.job_id', '=', 'j.id').onRef('r.attempt', '=', 'j.attempt'))
    .selectAll('j')
    .where(eb => eb.or([
      eb('r.outcome', 'in', ['succeeded', 'failed', 'cancelled']),
      eb.and([eb('r.outcome', '=', 'lost'), eb('j.state', 'in', ['failed', 'cancelled'])])
    ]))
    .where('r.started_at', 'is not', null)
    .where('r.finished_at', 'is not', null)
    .whereRef('r.finished_at', '>', 'r.started_at')
}

/** Each row's work: its runs read once, the current one among them. */
async function workOf (db: Db, rows: ReadonlyArray<Selectable<JobsTable>>): Promise<LedgerWork[]> {
  const work: LedgerWork[] = []
  for (const row of rows) {
    const runs = await listRuns(db, row.id)
    const run = runs.find(r => r.attempt === row.attempt)
    if (run !== undefined) work.push({ job: toJob(row), run, runs, ledger: row.ledger, tries: row.ledger_tries })
  }
  return work
}

/**
 * Jobs whose last run ran (`closedJobs`) and whose ledger is missing or provisional: missing first
 * (newest run first, so a job whose intensity is still unknown never holds up later ones), then the
 * longest unrefreshed.
 */
export async function jobsNeedingLedger (db: Db, limit: number, due: LedgerDue = {}): Promise<LedgerWork[]> {
  const computedAt = sql<number>`(j.ledger->>'computedAt')::double precision`
  const rows = await closedJobs(db)
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
  return await workOf(db, rows)
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
 * when there is no such job, null when its last run has not run (`closedJobs`).
 */
export async function ledgerWork (db: Db, jobId: string): Promise<LedgerWork | null | undefined> {
  const rows = await closedJobs(db).where('j.id', '=', jobId).execute()
  if (rows.length > 0) return (await workOf(db, rows))[0] ?? null
  const exists = await db.selectFrom('jobs').select('id').where('id', '=', jobId).executeTakeFirst()
  return exists === undefined ? undefined : null
}

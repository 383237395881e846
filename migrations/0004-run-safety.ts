import { sql } from 'kysely'
import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * What several processes may race on is made safe by the schema:
 * - an actual segment names its attempt, and a partial unique index allows one per attempt, so two
 *   closers of one run (a webhook `finished` and the silence watchdog) cannot both record it.
 *   Existing actual segments get the attempt whose run has the same start; duplicates made by that
 *   race are removed first (the oldest row is kept);
 * - a hand-over that failed is tried again from `retry_at`, with `handover_tries` so far, instead of
 *   on every tick (an unreachable receiver cost ~30 s a tick);
 * - a run an executor refused for good closes as `refused`, and the job remembers the pools that
 *   refused it (`refused_pools`), so it is planned elsewhere;
 * - a ledger that cannot be computed is tried again from `ledger_retry_at`, backing off by
 *   `ledger_tries`, instead of on every tick for the retention period.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('job_segments').addColumn('attempt', 'integer').execute()
  await sql`
    delete from job_segments s using job_segments older
    where s.kind = 'actual' and older.kind = 'actual' and older.job_id = s.job_id
      and older.start_at = s.start_at and older.end_at = s.end_at and older.id < s.id
  `.execute(db)
  await sql`
    update job_segments s set attempt = r.attempt from job_runs r
    where s.kind = 'actual' and r.job_id = s.job_id and r.started_at = s.start_at
  `.execute(db)
  await sql`create unique index job_segments_one_actual_per_attempt on job_segments (job_id, attempt) where kind = 'actual'`.execute(db)
  await db.schema.alterTable('job_runs').addColumn('handover_tries', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('job_runs').addColumn('retry_at', 'timestamptz').execute()
  await sql`alter table job_runs drop constraint job_runs_outcome_check`.execute(db)
  await sql`alter table job_runs add constraint job_runs_outcome_check check (outcome in ('succeeded', 'failed', 'cancelled', 'lost', 'refused'))`.execute(db)
  await db.schema.alterTable('jobs').addColumn('refused_pools', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`)).execute()
  await db.schema.alterTable('jobs').addColumn('ledger_tries', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('jobs').addColumn('ledger_retry_at', 'timestamptz').execute()
}

/** Drops everything `up` added; refused runs become `failed`, as they were recorded before. */
export async function down (db: Kysely<any>): Promise<void> {
  for (const column of ['ledger_retry_at', 'ledger_tries', 'refused_pools']) await db.schema.alterTable('jobs').dropColumn(column).execute()
  await sql`update job_runs set outcome = 'failed' where outcome = 'refused'`.execute(db)
  await sql`alter table job_runs drop constraint job_runs_outcome_check`.execute(db)
  await sql`alter table job_runs add constraint job_runs_outcome_check check (outcome in ('succeeded', 'failed', 'cancelled', 'lost'))`.execute(db)
  for (const column of ['retry_at', 'handover_tries']) await db.schema.alterTable('job_runs').dropColumn(column).execute()
  await sql`drop index job_segments_one_actual_per_attempt`.execute(db)
  await db.schema.alterTable('job_segments').dropColumn('attempt').execute()
}

import { sql } from 'kysely'
import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * Dispatch and the ledger: one row per hand-over of a job to an executor (`job_runs`), energy
 * samples reported while it runs (`measurements`), hashed pool-scoped agent tokens, the job's
 * ledger, and a pool's embodied carbon.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('ledger', 'jsonb').execute()
  await db.schema.alterTable('jobs').addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('pools').addColumn('embodied_g_per_gpu_hour', 'double precision').execute()
  await db.schema.createTable('job_runs')
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('executor', 'text', (c) => c.notNull().check(sql`executor in ('agent', 'webhook', 'slurm')`))
    .addColumn('ref', 'text')
    .addColumn('dispatched_at', 'timestamptz', (c) => c.notNull())
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('heartbeat_at', 'timestamptz')
    .addColumn('progress', 'double precision')
    .addColumn('exit_code', 'integer')
    .addColumn('energy_kwh', 'double precision')
    .addColumn('outcome', 'text', (c) => c.check(sql`outcome in ('succeeded', 'failed', 'cancelled', 'lost')`))
    .addColumn('detail', 'text')
    .addPrimaryKeyConstraint('job_runs_pkey', ['job_id', 'attempt'])
    .execute()
  await db.schema.createIndex('job_runs_open_idx').on('job_runs').columns(['pool', 'finished_at']).execute()
  await db.schema.createTable('measurements')
    .addColumn('id', 'integer', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('power_w', 'double precision')
    .addColumn('energy_kwh', 'double precision')
    .addForeignKeyConstraint('measurements_run_fkey', ['job_id', 'attempt'], 'job_runs', ['job_id', 'attempt'], (cb) => cb.onDelete('cascade'))
    .execute()
  await db.schema.createIndex('measurements_run_idx').on('measurements').columns(['job_id', 'attempt', 'at']).execute()
  await db.schema.createTable('pool_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .execute()
}

/** Drops everything `up` added. */
export async function down (db: Kysely<any>): Promise<void> {
  for (const table of ['pool_tokens', 'measurements', 'job_runs']) await db.schema.dropTable(table).execute()
  await db.schema.alterTable('pools').dropColumn('embodied_g_per_gpu_hour').execute()
  await db.schema.alterTable('jobs').dropColumn('attempt').execute()
  await db.schema.alterTable('jobs').dropColumn('ledger').execute()
}

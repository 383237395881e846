import { sql, type Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * A job's `work` (model parameters, tokens, epochs, method, precision) when it gave that instead of
 * a duration, and the estimate its duration came from (`work_estimate`); both null for jobs that
 * gave `durationMinutes`. And `energy_history`: measured runs of a kind of work (a finished work
 * job's measured ledger, or a CodeCarbon row imported), per tenant, which later estimates of the
 * same family on the same GPU model scale by tokens. `energy_kwh` is IT energy (before PUE);
 * `tokens` is T (tokens × epochs); one row per job at most (`job_id` unique).
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('work', 'jsonb').addColumn('work_estimate', 'jsonb').execute()
  await db.schema.createTable('energy_history')
    .addColumn('id', 'bigserial', c => c.primaryKey())
    .addColumn('tenant_id', 'text', c => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('family', 'text', c => c.notNull())
    .addColumn('gpu_model', 'text', c => c.notNull())
    .addColumn('gpu_count', 'integer', c => c.notNull().check(sql`gpu_count >= 1`))
    .addColumn('method', 'text', c => c.notNull().check(sql`method in ('full', 'lora', 'qlora', 'inference')`))
    .addColumn('parameters', 'double precision', c => c.notNull().check(sql`parameters > 0`))
    .addColumn('tokens', 'double precision', c => c.notNull().check(sql`tokens > 0`))
    .addColumn('energy_kwh', 'double precision', c => c.notNull().check(sql`energy_kwh > 0`))
    .addColumn('duration_minutes', 'double precision', c => c.notNull().check(sql`duration_minutes > 0`))
    .addColumn('source', 'text', c => c.notNull().check(sql`source in ('ledger', 'codecarbon')`))
    .addColumn('job_id', 'text', c => c.unique().references('jobs.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', c => c.notNull())
    .execute()
  await db.schema.createIndex('energy_history_family').on('energy_history').columns(['tenant_id', 'family', 'gpu_model', 'created_at']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('energy_history').execute()
  await db.schema.alterTable('jobs').dropColumn('work_estimate').dropColumn('work').execute()
}

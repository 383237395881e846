import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * The id CodeCarbon gives each tracked run (`run_id`), kept with an imported history row so the
 * same file imported twice does not count its runs twice: one row per tenant and run id. Null for
 * runs measured by greenshift's own ledger (those are one per job, `job_id`).
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('energy_history').addColumn('run_id', 'text').execute()
  await db.schema.createIndex('energy_history_run').unique().on('energy_history').columns(['tenant_id', 'run_id']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('energy_history_run').execute()
  await db.schema.alterTable('energy_history').dropColumn('run_id').execute()
}

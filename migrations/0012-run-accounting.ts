import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * The pool's power model as it was when a run was handed over (watts, host watts, PUE, market and
 * embodied factors), so a ledger never changes because a pool was edited after its job ran.
 * Runs from before keep null and are priced on the pool as it is. And each job's functional unit
 * for its SCI figure (Green Software Foundation): the job, or its GPU-hours.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('job_runs').addColumn('pool_model', 'jsonb').execute()
  await db.schema.alterTable('jobs').addColumn('sci_unit', 'text', c => c.notNull().defaultTo('job')).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('sci_unit').execute()
  await db.schema.alterTable('job_runs').dropColumn('pool_model').execute()
}

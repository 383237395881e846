import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * The pool's power model as it was when a run was handed over (watts, host watts, PUE, market and
 * embodied factors), so a ledger never changes because a pool was edited after its job ran.
 * Runs from before keep null and are priced on the pool as it is. And each job's functional unit
 * for its SCI figure (Green Software Foundation): the job, or its GPU-hours. And a job's plan when
 * the job goes back to planning (a lost attempt, a refusal, a disabled pool): its next plan keeps
 * that plan's counterfactual instead of starting a new one, and a job that ends before it is
 * planned again books its lost attempts against it.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('job_runs').addColumn('pool_model', 'jsonb').execute()
  await db.schema.alterTable('jobs').addColumn('sci_unit', 'text', c => c.notNull().defaultTo('job')).execute()
  await db.schema.alterTable('jobs').addColumn('prior_plan', 'jsonb').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('prior_plan').execute()
  await db.schema.alterTable('jobs').dropColumn('sci_unit').execute()
  await db.schema.alterTable('job_runs').dropColumn('pool_model').execute()
}

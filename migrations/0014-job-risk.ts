import { sql, type Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * How each job weighs forecast uncertainty: 'neutral' plans on the median forecast, 'averse' on
 * the window's p90 emissions. Jobs from before are neutral, as they were planned.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs')
    .addColumn('risk', 'text', (c) => c.notNull().defaultTo('neutral').check(sql`risk in ('neutral', 'averse')`))
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('risk').execute()
}

import { sql, type Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * What each stored intensity point counts and which data made it: `gas` ('co2' or 'co2e'),
 * `factor_type` ('lifecycle', 'direct' or 'marginal') and `version` (a file's content hash; null
 * when the fetch itself is the version, i.e. `fetched_at`). Rows from before stay null and are read
 * as the defaults of their signal. And a tenant's `home_pool`: the pool its jobs would run on
 * without greenshift, the baseline pool of jobs that name no preferred pool.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('intensity_points')
    .addColumn('gas', 'text', (c) => c.check(sql`gas in ('co2', 'co2e')`))
    .addColumn('factor_type', 'text', (c) => c.check(sql`factor_type in ('lifecycle', 'direct', 'marginal')`))
    .addColumn('version', 'text')
    .execute()
  await db.schema.alterTable('tenants')
    .addColumn('home_pool', 'text', (c) => c.references('pools.name').onDelete('set null'))
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tenants').dropColumn('home_pool').execute()
  await db.schema.alterTable('intensity_points').dropColumn('gas').dropColumn('factor_type').dropColumn('version').execute()
}

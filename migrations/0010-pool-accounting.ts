import { sql } from 'kysely'
import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * A pool's accounting settings: the host's IT power per GPU while a job runs (CPU, RAM, network),
 * an unallocated GPU's IT power (the reports' idle rows), both W and 0 for pools stored before,
 * and its market-based Scope 2 factor (`{ gPerKwh, instrument, kind }`), null when it has none.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pools')
    .addColumn('host_watts_per_gpu', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('idle_watts_per_gpu', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('market', 'jsonb')
    .execute()
  await sql`alter table pools add constraint pools_accounting_watts check (host_watts_per_gpu >= 0 and idle_watts_per_gpu >= 0)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pools')
    .dropConstraint('pools_accounting_watts')
    .execute()
  await db.schema.alterTable('pools')
    .dropColumn('host_watts_per_gpu')
    .dropColumn('idle_watts_per_gpu')
    .dropColumn('market')
    .execute()
}

import { sql } from 'kysely'
import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * A version per zone, bumped by every statement that adds or deletes its intensity rows, so each
 * process (and each replica) can keep the zone's forecast in memory and read it again only when
 * the version moves. Versions come from a free-standing sequence, owned by no column: `truncate …
 * restart identity` leaves it alone, so a version never repeats within a database and a cached
 * forecast can never be mistaken for one built after a reset.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`create sequence zone_version_seq`.execute(db)
  await db.schema.createTable('zone_versions')
    .addColumn('zone', 'text', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('zone_versions').execute()
  await sql`drop sequence zone_version_seq`.execute(db)
}

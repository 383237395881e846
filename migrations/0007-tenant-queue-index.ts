import { sql } from 'kysely'
import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * Every submission counts its tenant's queued (pending and planned) jobs against the cap. The
 * existing indexes would scan the tenant's whole history (jobs_tenant_submitted_idx) or every
 * tenant's queue (jobs_state_idx); this partial index holds the queued jobs only, so the count reads
 * at most the cap's worth of index entries of one tenant.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('jobs_tenant_queued_idx').on('jobs').column('tenant_id')
    .where(sql<boolean>`state in ('pending', 'planned')`).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('jobs_tenant_queued_idx').execute()
}

import { sql } from 'kysely'
import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * Who may do what, and who may report on a run:
 * - the deployment's operator (pools, agent tokens, tenants, every tenant's keys) is a scope of its
 *   own, `operator`, apart from a tenant's `admin`. The first admin key made (the one printed or
 *   taken from GREENSHIFT_ADMIN_KEY on first start) keeps what it could do: it gets `operator` too;
 * - an agent's claim is bound to a secret handed to that agent only (`claim_hash`, its SHA-256), so
 *   a pool token that leaked cannot report on a run another agent holds;
 * - a tenant may have its own cap on queued jobs (`max_queued_jobs`; null: the deployment default).
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    update api_keys set scopes = scopes || '["operator"]'::jsonb
    where id = (select id from api_keys where scopes ? 'admin' order by created_at, id limit 1)
      and not scopes ? 'operator'
  `.execute(db)
  await db.schema.alterTable('job_runs').addColumn('claim_hash', 'text').execute()
  await db.schema.alterTable('tenants').addColumn('max_queued_jobs', 'integer', (c) => c.check(sql`max_queued_jobs > 0`)).execute()
}

/** Drops the new columns; `operator` scopes are removed (their keys keep `admin`, which then did both). */
export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tenants').dropColumn('max_queued_jobs').execute()
  await db.schema.alterTable('job_runs').dropColumn('claim_hash').execute()
  await sql`update api_keys set scopes = scopes - 'operator'`.execute(db)
}

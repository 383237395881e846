import { sql } from 'kysely'
import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

const JOB_STATES = sql`('pending', 'planned', 'dispatched', 'running', 'succeeded', 'failed', 'cancelled')`
const SIGNALS = sql`('average', 'marginal')`

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/** Tenants, keys, pools, zones, intensity points, jobs with their segments and events, leases. */
export async function up (db: Kysely<any>): Promise<void> {
  await createAccounts(db)
  await createFleet(db)
  await createJobs(db)
  await createJobChildren(db)
  await db.schema.createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute()
}

/** Drops everything `up` created, children first. */
export async function down (db: Kysely<any>): Promise<void> {
  const tables = ['leases', 'job_events', 'job_segments', 'jobs', 'intensity_points', 'zones', 'pools', 'api_keys', 'tenants']
  for (const table of tables) await db.schema.dropTable(table).execute()
}

async function createAccounts (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute()
}

async function createFleet (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('pools')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('zone', 'text', (c) => c.notNull())
    .addColumn('gpu_model', 'text', (c) => c.notNull())
    .addColumn('gpu_count', 'integer', (c) => c.notNull())
    .addColumn('watts_per_gpu', 'double precision', (c) => c.notNull())
    .addColumn('pue', 'double precision', (c) => c.notNull())
    .addColumn('executor', 'jsonb', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createTable('zones')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('signal', 'text', (c) => c.notNull().check(sql`signal in ${SIGNALS}`))
    .addColumn('providers', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createTable('intensity_points')
    .addColumn('id', 'integer', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('zone', 'text', (c) => c.notNull())
    .addColumn('start_at', 'timestamptz', (c) => c.notNull())
    .addColumn('end_at', 'timestamptz', (c) => c.notNull())
    .addColumn('g_per_kwh', 'double precision', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('forecast', 'actual')`))
    .addColumn('signal', 'text', (c) => c.notNull().check(sql`signal in ${SIGNALS}`))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('intensity_points_fetch_key', ['zone', 'kind', 'source', 'start_at', 'fetched_at'])
    .execute()
  await db.schema.createIndex('intensity_points_zone_kind_start_idx')
    .on('intensity_points').columns(['zone', 'kind', 'start_at']).execute()
}

async function createJobs (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ${JOB_STATES}`))
    .addColumn('gpus', 'integer', (c) => c.notNull())
    .addColumn('duration_minutes', 'integer', (c) => c.notNull())
    .addColumn('deadline', 'timestamptz', (c) => c.notNull())
    .addColumn('not_before', 'timestamptz')
    .addColumn('interruptible', 'boolean', (c) => c.notNull())
    .addColumn('min_segment_minutes', 'integer', (c) => c.notNull())
    .addColumn('pools', 'jsonb', (c) => c.notNull())
    .addColumn('zones', 'jsonb', (c) => c.notNull())
    .addColumn('preferred_pool', 'text')
    .addColumn('watts_per_gpu', 'double precision')
    .addColumn('energy_kwh', 'double precision')
    .addColumn('command', 'jsonb')
    .addColumn('payload', 'jsonb')
    .addColumn('labels', 'jsonb', (c) => c.notNull())
    .addColumn('plan', 'jsonb')
    .addColumn('pool', 'text')
    .addColumn('latest_safe_start', 'timestamptz')
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text')
    .addColumn('submitted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('jobs_tenant_idempotency_key', ['tenant_id', 'idempotency_key'])
    .execute()
  await db.schema.createIndex('jobs_tenant_submitted_idx')
    .on('jobs').columns(['tenant_id', 'submitted_at', 'id']).execute()
  await db.schema.createIndex('jobs_state_idx').on('jobs').column('state').execute()
}

async function createJobChildren (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('job_segments')
    .addColumn('id', 'integer', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('planned', 'actual')`))
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('start_at', 'timestamptz', (c) => c.notNull())
    .addColumn('end_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('job_segments_job_idx').on('job_segments').columns(['job_id', 'kind']).execute()
  await db.schema.createTable('job_events')
    .addColumn('id', 'integer', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb')
    .execute()
  await db.schema.createIndex('job_events_job_idx').on('job_events').columns(['job_id', 'id']).execute()
}

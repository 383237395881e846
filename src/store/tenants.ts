import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import type { Database, Db } from './schema.js'

/** A tenant: the owner of jobs and API keys. */
export interface Tenant {
  id: string
  name: string
}

/**
 * A tenant as the operator sees it: with its own cap on queued jobs (null: the deployment default)
 * and its home pool, where its jobs would run without greenshift (null: none set).
 */
export interface TenantInfo extends Tenant {
  maxQueuedJobs: number | null
  homePool: string | null
  createdAt: Date
}

/** What an operator may change on a tenant; an absent field stays as it is. */
export interface TenantPatch {
  maxQueuedJobs?: number | null
  homePool?: string | null
}

/** Creates a tenant with a new UUID; a taken name throws the unique violation (23505). */
export async function createTenant (db: Db, name: string): Promise<Tenant> {
  const tenant = { id: randomUUID(), name }
  await db.insertInto('tenants').values(tenant).execute()
  return tenant
}

/** The tenant with this exact name. */
export async function findTenantByName (db: Db, name: string): Promise<Tenant | undefined> {
  return await db.selectFrom('tenants').select(['id', 'name']).where('name', '=', name).executeTakeFirst()
}

/**
 * The tenant with this name, created if missing. Safe when several processes start at once: the
 * insert does nothing on a taken name and the row is read back.
 */
export async function ensureTenant (db: Db, name: string): Promise<Tenant> {
  await db.insertInto('tenants').values({ id: randomUUID(), name }).onConflict(oc => oc.column('name').doNothing()).execute()
  return await db.selectFrom('tenants').select(['id', 'name']).where('name', '=', name).executeTakeFirstOrThrow()
}

const INFO_COLUMNS = ['id', 'name', 'max_queued_jobs', 'home_pool', 'created_at'] as const

function toInfo (row: { id: string, name: string, max_queued_jobs: number | null, home_pool: string | null, created_at: Date }): TenantInfo {
  return { id: row.id, name: row.name, maxQueuedJobs: row.max_queued_jobs, homePool: row.home_pool, createdAt: row.created_at }
}

/**
 * A new tenant with its cap and home pool; undefined if the name is taken (nothing is written then).
 * A home pool that is not a pool throws the foreign-key violation (23503): callers check it first.
 */
export async function insertTenant (db: Db, name: string, maxQueuedJobs: number | null, homePool: string | null = null): Promise<TenantInfo | undefined> {
  const row = await db.insertInto('tenants').values({ id: randomUUID(), name, max_queued_jobs: maxQueuedJobs, home_pool: homePool })
    .onConflict(oc => oc.column('name').doNothing()).returning(INFO_COLUMNS).executeTakeFirst()
  return row === undefined ? undefined : toInfo(row)
}

/** Every tenant, by name. */
export async function listTenants (db: Db): Promise<TenantInfo[]> {
  return (await db.selectFrom('tenants').select(INFO_COLUMNS).orderBy('name').execute()).map(toInfo)
}

/**
 * Sets a tenant's cap on queued jobs (null: back to the default) and home pool (null: none), each
 * only when given; undefined if there is no such tenant. An unknown home pool throws 23503.
 */
export async function updateTenant (db: Db, name: string, patch: TenantPatch): Promise<TenantInfo | undefined> {
  const set = {
    ...(patch.maxQueuedJobs === undefined ? {} : { max_queued_jobs: patch.maxQueuedJobs }),
    ...(patch.homePool === undefined ? {} : { home_pool: patch.homePool })
  }
  const query = Object.keys(set).length === 0
    ? db.selectFrom('tenants').select(INFO_COLUMNS).where('name', '=', name)
    : db.updateTable('tenants').set(set).where('name', '=', name).returning(INFO_COLUMNS)
  const row = await query.executeTakeFirst()
  return row === undefined ? undefined : toInfo(row)
}

/** A tenant by id or name, with its cap. */
export async function getTenant (db: Db, by: { id: string } | { name: string }): Promise<TenantInfo | undefined> {
  const query = db.selectFrom('tenants').select(INFO_COLUMNS)
  const row = await ('id' in by ? query.where('id', '=', by.id) : query.where('name', '=', by.name)).executeTakeFirst()
  return row === undefined ? undefined : toInfo(row)
}

/** A tenant's queue: how many of its jobs wait (pending or planned), and its own cap (null: the default). */
export interface TenantQueue {
  queued: number
  maxQueuedJobs: number | null
}

function queueQuery (db: Db, tenantId: string) {
  return db.selectFrom('tenants as t')
    .select(eb => [
      't.max_queued_jobs',
      eb.selectFrom('tenant_queue_counts as c').select(sql<string>`coalesce(sum(c.n), 0)`.as('n'))
        .whereRef('c.tenant_id', '=', 't.id').as('queued')
    ])
    .where('t.id', '=', tenantId)
}

const toQueue = (row: { max_queued_jobs: number | null, queued: string | number | null }): TenantQueue =>
  ({ queued: Number(row.queued ?? 0), maxQueuedJobs: row.max_queued_jobs })

/** A tenant's queued jobs, from the counts a trigger on `jobs` keeps (migration 0008): no count of the queue itself. */
export async function tenantQueue (db: Db, tenantId: string): Promise<TenantQueue> {
  return toQueue(await queueQuery(db, tenantId).executeTakeFirstOrThrow())
}

/**
 * As `tenantQueue`, with the tenant row locked `FOR UPDATE` until the transaction ends. That lock
 * conflicts with the key-share lock every insert of a job takes on its tenant (the foreign key),
 * so it waits for the tenant's submissions under way and holds new ones until it ends: the count
 * is exact and two submissions near the cap count one after the other. The count is a statement
 * of its own, after the lock: in READ COMMITTED a statement that waited for the lock would still
 * count from its snapshot from before.
 */
export async function lockTenantQueue (trx: Transaction<Database>, tenantId: string): Promise<TenantQueue> {
  await trx.selectFrom('tenants').select('id').where('id', '=', tenantId).forUpdate().executeTakeFirstOrThrow()
  return await tenantQueue(trx, tenantId)
}
/** Every tenant's home pool, by tenant id, for those that set one: the baseline pool of their jobs without a preferredPool. */
export async function tenantHomePools (db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('tenants').select(['id', 'home_pool']).where('home_pool', 'is not', null).execute()
  return new Map(rows.flatMap(r => r.home_pool === null ? [] : [[r.id, r.home_pool]]))
}

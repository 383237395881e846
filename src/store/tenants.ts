import { randomUUID } from 'node:crypto'
import type { Db } from './schema.js'

/** A tenant: the owner of jobs and API keys. */
export interface Tenant {
  id: string
  name: string
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

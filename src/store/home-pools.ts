import { sql } from 'kysely'
import type { Db } from './schema.js'

/** Every tenant's home pool, by tenant id, for those that set one: the baseline pool of their jobs without a preferredPool. */
export async function tenantHomePools (db: Db): Promise<Map<string, string>> {
  const result = await sql<{ id: string, home_pool: string }>`select id, home_pool from tenants where home_pool is not null`.execute(db)
  return new Map(result.rows.map(r => [r.id, r.home_pool]))
}

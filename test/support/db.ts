import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, inject } from 'vitest'
import { migrateToLatest, openStore } from '../../src/store/db.js'
import type { Store } from '../../src/store/db.js'
import { resetIntakeState } from '../../src/scheduler/intake-state.js'
import { resetZoneCache } from '../../src/scheduler/zone-cache.js'
import { pgliteFromTemplate } from './pglite-template.js'

/** Every app table; TRUNCATEd between tests (the migration bookkeeping tables are kept). */
const APP_TABLES = ['tenants', 'api_keys', 'pools', 'zones', 'intensity_points', 'jobs', 'job_segments', 'job_events', 'leases', 'job_runs', 'measurements', 'pool_tokens', 'pool_releases', 'tenant_queue_counts', 'zone_versions', 'energy_history']

/** 'postgres' when DATABASE_URL is set, else 'pglite'. */
export function backendName (): 'postgres' | 'pglite' {
  return databaseUrl() === undefined ? 'pglite' : 'postgres'
}

/** With DATABASE_URL, this run's own database on that server (made in global-setup.ts). */
function databaseUrl (): string | undefined {
  const url = process.env.DATABASE_URL
  return url === undefined || url === '' ? undefined : inject('runDatabaseUrl')
}

/**
 * One migrated store per test file: PGlite in memory, or with DATABASE_URL real PostgreSQL in a
 * fresh schema `t_<random>` of the run's database, so test files running in parallel never meet.
 * Every table is emptied before each test. Returns a getter, valid inside tests and hooks.
 */
export function useTestStore (): () => Store {
  let store: Store | undefined
  beforeAll(async () => {
    store = await openEmptyStore()
    await migrateToLatest(store.db)
  })
  beforeEach(async () => {
    const tables = sql.join(APP_TABLES.map((t) => sql.table(t)))
    await sql`truncate ${tables} restart identity cascade`.execute(current().db)
    resetIntakeState(current())
    resetZoneCache(current())
  })
  afterAll(async () => {
    await closeEmptyStore(store)
    store = undefined
  })
  const current = (): Store => {
    if (store === undefined) throw new Error('useTestStore: no store yet (use it inside tests and hooks)')
    return store
  }
  return current
}

const siblings = new WeakMap<Store, { url: string, schema: string }>()

/**
 * A store with nothing in it, not even migrations: PGlite in memory (booted from the initdb
 * template), or with DATABASE_URL a fresh schema `t_<random>` in the run's database. For tests
 * that migrate it themselves; close it with `closeEmptyStore`.
 */
export async function openEmptyStore (): Promise<Store> {
  const url = databaseUrl()
  if (url === undefined) return await pgliteFromTemplate()
  const schema = `t_${randomBytes(6).toString('hex')}`
  await withAdmin(url, (admin) => sql`create schema ${sql.id(schema)}`.execute(admin.db))
  const store = await openStore({ databaseUrl: url, searchPath: schema })
  siblings.set(store, { url, schema })
  return store
}

/**
 * Closes a store of `openEmptyStore`; nothing when undefined. A PostgreSQL schema stays until the
 * run's database is dropped: dropping it now would fail a migration running in another file (see
 * run-database.ts).
 */
export async function closeEmptyStore (store: Store | undefined): Promise<void> {
  await store?.close()
}

/**
 * A second, independent connection pool onto the same PostgreSQL schema as `store`: a second
 * greenshift instance sharing the database. The caller closes it. PostgreSQL only.
 */
export async function openSibling (store: Store): Promise<Store> {
  const at = siblings.get(store)
  if (at === undefined) throw new Error('openSibling: only a PostgreSQL test store has siblings')
  return await openStore({ databaseUrl: at.url, searchPath: at.schema })
}

async function withAdmin (url: string, fn: (admin: Store) => Promise<unknown>): Promise<void> {
  const admin = await openStore({ databaseUrl: url })
  try {
    await fn(admin)
  } finally {
    await admin.close()
  }
}

import { Migrator, sql } from 'kysely'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrationProvider, migrations } from '../../migrations/index.js'
import { Pool } from '../../src/http/schemas.js'
import { migrateToLatest, type Store } from '../../src/store/db.js'
import { listPools } from '../../src/store/pools.js'
import type { Db } from '../../src/store/schema.js'
import { backendName, closeEmptyStore, openEmptyStore } from '../support/db.js'
import { pool, T0 } from './fixtures.js'

/** Migrates up to and including `target`, with the bookkeeping in the current schema as db.ts does. */
async function migrateTo (db: Store['db'], target: string): Promise<void> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db)
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema: rows[0]?.schema ?? 'public' })
  const { error } = await migrator.migrateTo(target)
  if (error !== undefined) throw error
}

/** A pool row as a release before 0002 stored it: the executor spec is written as given. */
async function insertRaw (db: Db, name: string, executor: object, at: number): Promise<void> {
  const row = pool(name)
  await db.insertInto('pools').values({
    name, zone: row.zone, gpu_model: row.gpuModel, gpu_count: row.gpuCount, watts_per_gpu: row.wattsPerGpu, pue: row.pue,
    executor: JSON.stringify(executor), enabled: true, embodied_g_per_gpu_hour: null, created_at: new Date(at), updated_at: new Date(at)
  }).execute()
}

const WEBHOOK = { kind: 'webhook', url: 'https://runner.example/jobs', secretEnv: 'RUNNER_SECRET' }
const SLURM = { kind: 'slurm', url: 'http://127.0.0.1:6820', partition: 'pool-a', user: 'alice', tokenEnv: 'ALICE_JWT' }

// Its own empty store: the migration is run from 0002 on, which a shared migrated store cannot do.
describe(`migration 0003-executor-specs (${backendName()})`, () => {
  let store: Store | undefined
  beforeAll(async () => { store = await openEmptyStore() })
  afterAll(async () => { await closeEmptyStore(store) })

  it('rewrites webhook specs without secretEnv and Slurm specs with baseUrl, disables those pools, and leaves the rest', async () => {
    if (store === undefined) throw new Error('no store')
    const db = store.db
    await migrateTo(db, '0002-dispatch')
    await insertRaw(db, 'hook-old', { kind: 'webhook', url: 'https://old.example/hook' }, T0)
    await insertRaw(db, 'slurm-old', { kind: 'slurm', baseUrl: 'http://slurm.example:6820', partition: 'gpu' }, T0 + 1)
    await insertRaw(db, 'hook-new', WEBHOOK, T0 + 2)
    await insertRaw(db, 'slurm-new', SLURM, T0 + 3)
    await insertRaw(db, 'agents', { kind: 'agent' }, T0 + 4)
    // What GET /v1/pools failed on: its response schema refuses the old specs.
    expect(Value.Check(Type.Array(Pool), await listPools(db))).toBe(false)

    expect(await migrateToLatest(db)).toEqual(Object.keys(migrations).filter(name => name >= '0003'))

    const pools = await listPools(db)
    expect(pools).toEqual([
      pool('hook-old', { executor: { kind: 'webhook', url: 'https://old.example/hook', secretEnv: 'GREENSHIFT_WEBHOOK_SECRET' }, enabled: false }),
      pool('slurm-old', { executor: { kind: 'slurm', url: 'http://slurm.example:6820', partition: 'gpu', user: 'root', tokenEnv: 'SLURM_JWT' }, enabled: false }),
      pool('hook-new', { executor: { kind: 'webhook', url: WEBHOOK.url, secretEnv: WEBHOOK.secretEnv } }),
      pool('slurm-new', { executor: { kind: 'slurm', url: SLURM.url, partition: SLURM.partition, user: SLURM.user, tokenEnv: SLURM.tokenEnv } }),
      pool('agents')
    ])
    expect(Value.Check(Type.Array(Pool), pools)).toBe(true)
  })
})

describe(`migration 0005-roles-and-claims (${backendName()})`, () => {
  let store: Store | undefined
  beforeAll(async () => { store = await openEmptyStore() })
  afterAll(async () => { await closeEmptyStore(store) })

  it('gives the first admin key the operator scope as well, and no other key', async () => {
    if (store === undefined) throw new Error('no store')
    const db = store.db
    await migrateTo(db, '0004-run-safety')
    await db.insertInto('tenants').values([{ id: 't1', name: 'default' }, { id: 't2', name: 'other' }]).execute()
    const key = (id: string, tenant: string, scopes: string[], at: number) => ({
      id, tenant_id: tenant, name: id, prefix: 'gs_x', key_hash: id, scopes: JSON.stringify(scopes), created_at: new Date(at)
    })
    await db.insertInto('api_keys').values([
      key('reader', 't1', ['read'], T0),
      key('first-admin', 't1', ['submit', 'read', 'admin'], T0 + 1),
      key('later-admin', 't2', ['admin'], T0 + 2)
    ] as never).execute()

    await migrateToLatest(db)

    const rows = await db.selectFrom('api_keys').select(['id', 'scopes']).orderBy('created_at').execute()
    expect(rows).toEqual([
      { id: 'reader', scopes: ['read'] },
      { id: 'first-admin', scopes: ['submit', 'read', 'admin', 'operator'] },
      { id: 'later-admin', scopes: ['admin'] }
    ])
  })
})

import { Migrator, sql } from 'kysely'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrationProvider, migrations } from '../../migrations/index.js'
import { Pool } from '../../src/http/pool-schemas.js'
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

describe(`migration 0006-run-reports (${backendName()})`, () => {
  let store: Store | undefined
  beforeAll(async () => { store = await openEmptyStore() })
  afterAll(async () => { await closeEmptyStore(store) })

  const H = 3_600_000
  const at = (t: number) => new Date(t)
  const EPOCH = Date.UTC(1970, 0, 1)
  const Y9999 = Date.UTC(9999, 11, 31, 23, 59, 59)

  /** A 1-GPU job on pool `p` (700 W per GPU, PUE 1.2: at most 1.26 kWh an hour) whose attempt 1 was dispatched at T0. */
  async function jobWithRun (db: Db, id: string, run: { started: number, finished: number | null, energy?: number | null, finishedEvent?: number }): Promise<void> {
    await db.insertInto('jobs').values({
      id, tenant_id: 't1', name: id, state: run.finished === null ? 'running' : 'succeeded', gpus: 1, duration_minutes: 60, deadline: at(T0 + 24 * H),
      interruptible: false, min_segment_minutes: 30, pools: '[]', zones: '[]', labels: '{}', submitted_at: at(T0), updated_at: at(T0),
      attempt: 1, ledger: JSON.stringify({ energyKwh: run.energy ?? 1, energyMethod: 'measured', provisional: false }), ledger_tries: 2
    } as never).execute()
    await db.insertInto('job_runs').values({
      job_id: id, attempt: 1, pool: 'p', executor: 'agent', dispatched_at: at(T0), accepted_at: at(run.started), started_at: at(run.started),
      finished_at: run.finished === null ? null : at(run.finished), energy_kwh: run.energy ?? null, outcome: run.finished === null ? null : 'succeeded'
    } as never).execute()
    if (run.finished !== null && run.finished > run.started) {
      await db.insertInto('job_segments').values({ job_id: id, kind: 'actual', attempt: 1, pool: 'p', start_at: at(run.started), end_at: at(run.finished) } as never).execute()
    }
    if (run.finishedEvent !== undefined) {
      await db.insertInto('job_events').values({ job_id: id, at: at(run.finishedEvent), type: 'transition', from_state: 'running', to_state: 'succeeded', reason: 'test' } as never).execute()
    }
  }

  it('repairs runs stored with an impossible start, finish or energy, records each, and then refuses a run that ends before it starts', async () => {
    if (store === undefined) throw new Error('no store')
    const db = store.db
    await migrateTo(db, '0005-roles-and-claims')
    await db.insertInto('tenants').values({ id: 't1', name: 'default' }).execute()
    await insertRaw(db, 'p', { kind: 'agent' }, T0)
    await jobWithRun(db, 'from-1970', { started: EPOCH, finished: T0 + H, energy: 0.5, finishedEvent: T0 + H })
    await jobWithRun(db, 'until-9999', { started: T0, finished: Y9999, finishedEvent: T0 + 2 * H })
    await jobWithRun(db, 'ends-before-start', { started: T0 + H, finished: T0 + H / 2, finishedEvent: T0 + H })
    await jobWithRun(db, 'five-mwh', { started: T0, finished: T0 + H, energy: 5000, finishedEvent: T0 + H })
    await jobWithRun(db, 'plausible', { started: T0 + 30_000, finished: T0 + H, energy: 1.2, finishedEvent: T0 + H })
    await jobWithRun(db, 'open-from-1970', { started: EPOCH, finished: null })

    await migrateToLatest(db)

    const runs = await db.selectFrom('job_runs').select(['job_id', 'accepted_at', 'started_at', 'finished_at', 'energy_kwh']).orderBy('job_id').execute()
    expect(Object.fromEntries(runs.map(r => [r.job_id, [r.started_at, r.finished_at, r.energy_kwh]]))).toEqual({
      'from-1970': [at(T0), at(T0 + H), 0.5],
      'until-9999': [at(T0), at(T0 + 2 * H), null],
      'ends-before-start': [at(T0 + H), at(T0 + H), null],
      'five-mwh': [at(T0), at(T0 + H), null],
      plausible: [at(T0 + 30_000), at(T0 + H), 1.2],
      'open-from-1970': [at(T0), null, null]
    })
    expect(runs.every(r => r.accepted_at !== null && r.accepted_at.getTime() >= T0)).toBe(true)
    const segments = await db.selectFrom('job_segments').select(['job_id', 'start_at', 'end_at']).where('kind', '=', 'actual').orderBy('job_id').execute()
    expect(segments).toEqual([
      { job_id: 'five-mwh', start_at: at(T0), end_at: at(T0 + H) },
      { job_id: 'from-1970', start_at: at(T0), end_at: at(T0 + H) },
      { job_id: 'plausible', start_at: at(T0 + 30_000), end_at: at(T0 + H) },
      { job_id: 'until-9999', start_at: at(T0), end_at: at(T0 + 2 * H) }
    ])
    const events = await db.selectFrom('job_events').select(['job_id', 'data']).where('type', '=', 'report-implausible').orderBy('job_id').execute()
    expect(events.map(e => e.job_id)).toEqual(['ends-before-start', 'five-mwh', 'from-1970', 'open-from-1970', 'until-9999'])
    expect(events.find(e => e.job_id === 'five-mwh')?.data).toMatchObject({ attempt: 1, reported: { energyKwh: 5000 }, booked: { energyKwh: null } })
    expect(String((events.find(e => e.job_id === 'from-1970')?.data as { reported: { startedAt: string } }).reported.startedAt)).toMatch(/^1970-01-01T00:00:00/)
    // Repaired runs' ledgers are computed again from the repaired run; the plausible one's is kept.
    const ledgers = await db.selectFrom('jobs').select(['id', 'ledger', 'ledger_tries']).orderBy('id').execute()
    expect(ledgers.filter(j => j.ledger !== null).map(j => [j.id, j.ledger_tries])).toEqual([['plausible', 2]])
    expect(ledgers.filter(j => j.ledger === null).every(j => j.ledger_tries === 0)).toBe(true)

    const backwards = db.updateTable('job_runs').set({ finished_at: at(T0) }).where('job_id', '=', 'ends-before-start')
    await expect(backwards.execute()).rejects.toThrow(/job_runs_finished_after_started/)
  })
})

describe(`migration 0008-intake-versions (${backendName()})`, () => {
  let store: Store | undefined
  beforeAll(async () => { store = await openEmptyStore() })
  afterAll(async () => { await closeEmptyStore(store) })

  it('counts each tenant\'s queued jobs as they were, then keeps the count through inserts, moves and deletes', async () => {
    if (store === undefined) throw new Error('no store')
    const db = store.db
    await migrateTo(db, '0007-tenant-queue-index')
    await db.insertInto('tenants').values([{ id: 'ta', name: 'a' }, { id: 'tb', name: 'b' }]).execute()
    const states = ['pending', 'planned', 'planned', 'running', 'succeeded', 'pending']
    const insert = async (id: string, tenant: string, state: string) => {
      const { newJob } = await import('./fixtures.js')
      const { toJobRow } = await import('../../src/store/job-rows.js')
      // The columns of 0007's jobs table: later migrations add sci_unit, work, work_estimate and risk.
      const row: Partial<ReturnType<typeof toJobRow>> = toJobRow(newJob(tenant, { id, state: state as 'pending' }))
      delete row.sci_unit
      delete row.work
      delete row.work_estimate
      delete row.risk
      await db.insertInto('jobs').values(row as ReturnType<typeof toJobRow>).execute()
    }
    for (const [i, state] of states.entries()) await insert(`a${i}`, i < 4 ? 'ta' : 'tb', state)
    await insertRaw(db, 'p1', { kind: 'agent' }, T0)
    await migrateTo(db, '0008-intake-versions')
    const counted = async () => {
      const rows = await sql<{ tenant_id: string, n: string }>`select tenant_id, sum(n)::text as n from tenant_queue_counts group by 1 order by 1`.execute(db)
      const real = await sql<{ tenant_id: string, n: string }>`select tenant_id, count(*)::text as n from jobs where state in ('pending', 'planned') group by 1 order by 1`.execute(db)
      expect(rows.rows.filter(r => r.n !== '0')).toEqual(real.rows)
      return Object.fromEntries(real.rows.map(r => [r.tenant_id, Number(r.n)]))
    }
    expect(await counted()).toEqual({ ta: 3, tb: 1 })
    await insert('a9', 'ta', 'planned')
    await db.updateTable('jobs').set({ state: 'dispatched' }).where('id', 'in', ['a1', 'a9']).execute()
    await db.updateTable('jobs').set({ state: 'pending' }).where('id', '=', 'a3').execute()
    await db.deleteFrom('jobs').where('id', '=', 'a5').execute()
    expect(await counted()).toEqual({ ta: 3 })
    // Pools get distinct versions, and a new pool one never used before.
    const versions = await sql<{ v: string }>`select capacity_version::text as v from pools`.execute(db)
    await insertRaw(db, 'p2', { kind: 'agent' }, T0)
    const after = await sql<{ v: string }>`select capacity_version::text as v from pools`.execute(db)
    expect(new Set(after.rows.map(r => r.v)).size).toBe(2)
    expect(after.rows.map(r => r.v)).toContain(versions.rows[0]?.v)
  })
})

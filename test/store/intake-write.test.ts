import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { poolCapacity } from '../../src/store/capacity.js'
import { listEvents } from '../../src/store/events.js'
import { writeNewJobs, type NewJobRows } from '../../src/store/intake-write.js'
import { insertPool } from '../../src/store/pools.js'
import { createTenant, tenantQueue } from '../../src/store/tenants.js'
import { backendName, useTestStore } from '../support/db.js'
import { HOUR, newJob, planOn, pool, T0 } from './fixtures.js'

describe(`writeNewJobs (${backendName()})`, () => {
  const store = useTestStore()

  async function setUp (): Promise<{ tenant: string, rows: (n: number) => NewJobRows[] }> {
    const tenant = (await createTenant(store().db, 'a')).id
    await insertPool(store().db, pool('p1'), new Date(T0))
    const rows = (n: number) => Array.from({ length: n }, (_, i) => {
      const plan = planOn('p1', T0 + i * HOUR)
      const job = { ...newJob(tenant, { state: 'planned' }), plan }
      const at = new Date(T0)
      return {
        job,
        events: [{ at, type: 'submitted', fromState: null, toState: 'pending', reason: 'accepted' }, { at, type: 'transition', fromState: 'pending', toState: 'planned', reason: 'planned' }],
        segments: plan.segments
      }
    })
    return { tenant, rows }
  }

  it('writes a batch, its events in order and its segments, in one statement, and moves the pool\'s version', async () => {
    const { tenant, rows } = await setUp()
    const before = await poolCapacity(store().db, 'p1', T0)
    const batch = rows(3)
    const result = await writeNewJobs(store().db, { jobs: batch, pool: 'p1', poolVersion: { version: before!.version }, queue: { cap: 100, margin: 10 } })
    expect(result.written).toBe(true)
    const after = await poolCapacity(store().db, 'p1', T0)
    expect(result.poolVersion).toBe(after?.version)
    expect(after?.version).not.toBe(before?.version)
    expect(after?.reservations).toHaveLength(3)
    expect((await listEvents(store().db, batch[1]!.job.id)).map(e => [e.type, e.fromState, e.toState])).toEqual([['submitted', null, 'pending'], ['transition', 'pending', 'planned']])
    expect((await tenantQueue(store().db, tenant)).queued).toBe(3)
  })

  it('writes nothing when the pool moved on since it was read, or the queue has no room', async () => {
    const { tenant, rows } = await setUp()
    const read = await poolCapacity(store().db, 'p1', T0)
    expect((await writeNewJobs(store().db, { jobs: rows(1), pool: 'p1', poolVersion: { version: read!.version } })).written).toBe(true)
    const stale = await writeNewJobs(store().db, { jobs: rows(2), pool: 'p1', poolVersion: { version: read!.version } })
    expect(stale).toMatchObject({ written: false, why: 'pool-changed' })
    const current = await poolCapacity(store().db, 'p1', T0)
    const full = await writeNewJobs(store().db, { jobs: rows(2), pool: 'p1', poolVersion: { version: current!.version }, queue: { cap: 12, margin: 10 } })
    expect(full).toMatchObject({ written: false, why: 'queue-near-cap' })
    expect((await tenantQueue(store().db, tenant)).queued).toBe(1)
  })

  // Found by the soak: jobs finishing all the time log releases; a write under the pool's lock whose
  // read came before one of them was refused, and the submission answered 500.
  it('a release logged after the pool was read does not refuse the write, and comes back', async () => {
    const { rows } = await setUp()
    const read = await poolCapacity(store().db, 'p1', T0)
    await sql`insert into pool_releases (pool) values ('p1')`.execute(store().db)
    const result = await writeNewJobs(store().db, { jobs: rows(1), pool: 'p1', poolVersion: { version: read!.version } })
    expect(result.written).toBe(true)
    expect(result.released).not.toBeNull()
    expect(result.released).not.toBe(read?.released)
  })
})

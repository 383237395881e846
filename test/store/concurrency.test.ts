import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { listEvents } from '../../src/store/events.js'
import { getJob, insertJob, transitionJob } from '../../src/store/jobs.js'
import { tryAcquireLease } from '../../src/store/leases.js'
import { createTenant } from '../../src/store/tenants.js'
import { backendName, useTestStore } from '../support/db.js'
import { newJob, T0 } from './fixtures.js'

// On PostgreSQL the writers race on two connections; PGlite runs one statement at a time and
// interleaves them, and the same property must hold there.
describe(`concurrent writers (${backendName()})`, () => {
  const store = useTestStore()

  it('lets exactly one of two concurrent planned → dispatched transitions win', async () => {
    const tenant = await createTenant(store().db, 'a')
    const job = newJob(tenant.id, { state: 'planned' })
    await insertJob(store().db, job)
    const attempt = (holder: string) => store().db.transaction().execute(async (trx) => {
      const moved = await transitionJob(trx, { id: job.id, from: ['planned'], to: 'dispatched', at: new Date(T0), reason: `dispatched by ${holder}` })
      // On PostgreSQL, hold the row lock a while so the other transaction is surely waiting on it.
      if (backendName() === 'postgres') await sql`select pg_sleep(0.2)`.execute(trx)
      return moved
    })
    const results = await Promise.all([attempt('a'), attempt('b')])
    expect(results.filter((r) => r !== undefined)).toHaveLength(1)
    expect((await getJob(store().db, tenant.id, job.id))?.state).toBe('dispatched')
    const events = await listEvents(store().db, job.id)
    expect(events.map((e) => [e.fromState, e.toState])).toEqual([['planned', 'dispatched']])
  })

  it('gives a free lease to exactly one of many racing holders', async () => {
    const holders = Array.from({ length: 8 }, (_, i) => `worker-${i}`)
    const won = await Promise.all(holders.map((h) => tryAcquireLease(store().db, 'scheduler', h, 60_000)))
    expect(won.filter(Boolean)).toHaveLength(1)
  })
})

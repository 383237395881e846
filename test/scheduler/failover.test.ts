import pino from 'pino'
import { afterEach, describe, expect, test } from 'vitest'
import type { Instant } from '../../src/core/types.js'
import type { Executor } from '../../src/executors/executor.js'
import type { Deps } from '../../src/scheduler/deps.js'
import { limitsFor } from '../../src/scheduler/pass.js'
import { tick } from '../../src/scheduler/tick.js'
import { listEvents } from '../../src/store/events.js'
import type { Store } from '../../src/store/db.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { backendName, openSibling } from '../support/db.js'
import { expireLease } from '../support/db-time.js'

const LEASE_MS = 15_000

/**
 * A cluster that starts each (job, attempt) once, however often it is handed over, like Slurm
 * finding our marker. `crashAfterAccept` makes the next hand-over take the job and then fail, as
 * when the leader dies between the executor's "yes" and recording it.
 */
function cluster () {
  const started = new Map<string, number>()
  const state = { calls: 0, crashAfterAccept: false }
  const executor: Executor = {
    kind: 'slurm',
    leadMs: 0,
    dispatch: async h => {
      state.calls++
      const key = `${h.job.id}.${h.attempt}`
      if (!started.has(key)) started.set(key, 1)
      if (state.crashAfterAccept) {
        state.crashAfterAccept = false
        throw new Error('leader died before recording the hand-over')
      }
      return { ref: key }
    },
    cancel: async () => {}
  }
  return { executor, started, state }
}

// Two instances: on PostgreSQL two connection pools onto one database; on PGlite two schedulers
// sharing the one in-process database, whose statements interleave. The lease holds on both.
describe(`leader failover (${backendName()})`, () => {
  const t = useTestApp()
  let second: Store | undefined
  afterEach(async () => { await second?.close(); second = undefined })

  /** The second instance's store: its own pool on PostgreSQL, the same database on PGlite. */
  async function sibling (store: Store): Promise<Store> {
    if (backendName() === 'pglite') return store
    second = await openSibling(store)
    return second
  }

  async function twoInstances (executor: Executor): Promise<[Deps, Deps]> {
    const a = t().deps
    const b: Deps = { ...a, store: await sibling(a.store), zoneStatus: new Map(), log: pino({ level: 'silent' }) }
    a.executorFor = () => executor
    b.executorFor = () => executor
    return [a, b]
  }

  async function submitNow (name: string): Promise<string> {
    const res = await t().app.inject({
      method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
      payload: { name, command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 2 * HOUR), pools: ['gpu-north'] }
    })
    expect(res.statusCode).toBe(201)
    return res.json().id
  }

  test('the other instance takes over within the lease TTL and hands the job over again, and it runs once', async () => {
    const c = cluster()
    const [a, b] = await twoInstances(c.executor)
    const id = await submitNow('failover')
    c.state.crashAfterAccept = true
    const first = await tick(a, 'instance-a', NOW, LEASE_MS)
    expect(first).toMatchObject({ leader: true, dispatched: 1, handedOver: 0 })
    // a is now gone. Until its lease runs out, b stays a follower.
    expect((await tick(b, 'instance-b', NOW + 1000, LEASE_MS)).leader).toBe(false)
    await expireLease(a.store.db)
    const takeover = await tick(b, 'instance-b', NOW + LEASE_MS, LEASE_MS)
    expect(takeover).toMatchObject({ leader: true, dispatched: 0, handedOver: 1 })
    expect(c.state.calls).toBe(2)
    expect([...c.started.values()]).toEqual([1])
    const events = await listEvents(b.store.db, id)
    expect(events.filter(e => e.toState === 'dispatched')).toHaveLength(1)
    expect(events.filter(e => e.type === 'handed-over')).toHaveLength(1)
  })

  test('two instances ticking at the same instant: one leader, every job dispatched exactly once', async () => {
    const c = cluster()
    const [a, b] = await twoInstances(c.executor)
    const ids = await Promise.all(Array.from({ length: 6 }, async (_, i) => await submitNow(`race-${i}`)))
    const at = (n: number): Instant => NOW + n * 1000
    const results = await Promise.all([tick(a, 'instance-a', at(1), LEASE_MS), tick(b, 'instance-b', at(1), LEASE_MS)])
    expect(results.filter(r => r.leader)).toHaveLength(1)
    expect(results.reduce((n, r) => n + r.dispatched, 0)).toBe(6)
    await Promise.all([tick(a, 'instance-a', at(2), LEASE_MS), tick(b, 'instance-b', at(2), LEASE_MS)])
    expect(c.state.calls).toBe(6)
    expect(c.started.size).toBe(6)
    for (const id of ids) {
      const events = await listEvents(a.store.db, id)
      expect(events.filter(e => e.toState === 'dispatched')).toHaveLength(1)
    }
  })

  test('a leader that finds its lease taken during a pass stops before handing over anything more', async () => {
    const c = cluster()
    const a = t().deps
    const b: Deps = { ...a, store: await sibling(a.store), zoneStatus: new Map(), log: pino({ level: 'silent' }) }
    const first = await submitNow('first')
    const later = await submitNow('later')
    const handed: string[] = []
    let bResult: Awaited<ReturnType<typeof tick>> | undefined
    // a's first hand-over hangs past its lease; meanwhile b takes over and does the pass itself.
    a.executorFor = () => ({
      ...c.executor,
      dispatch: async (h, now) => {
        handed.push(`a ${h.job.name}`)
        if (bResult === undefined) {
          await expireLease(a.store.db)
          bResult = await tick(b, 'instance-b', NOW + 3 * LEASE_MS, LEASE_MS)
        }
        return await c.executor.dispatch(h, now)
      }
    })
    b.executorFor = () => ({ ...c.executor, dispatch: async (h, now) => { handed.push(`b ${h.job.name}`); return await c.executor.dispatch(h, now) } })
    // One call at a time, so that "a stopped after its first hand-over" is a statement about order.
    const result = await tick(a, 'instance-a', NOW, LEASE_MS, () => NOW, { ...limitsFor(LEASE_MS), concurrency: 1 })
    expect(bResult).toMatchObject({ leader: true })
    expect(result.leader).toBe(false)
    // a handed over one job (whichever came first) and then stopped; b repeated that hand-over
    // (at-least-once, the same attempt) and did the other, which a never touched.
    const byA = handed.filter(h => h.startsWith('a '))
    expect(byA).toHaveLength(1)
    const other = byA[0] === 'a first' ? 'later' : 'first'
    expect(handed.filter(h => h.endsWith(` ${other}`))).toEqual([`b ${other}`])
    expect(c.started.size).toBe(2)
    for (const id of [first, later]) {
      expect((await listEvents(b.store.db, id)).filter(e => e.toState === 'dispatched')).toHaveLength(1)
    }
  })
})

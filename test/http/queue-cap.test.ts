import { describe, expect, test } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'
import { buildApp } from '../../src/http/app.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()

const body = (name: string) => ({ name, command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR), preferredPool: 'gpu-north' })

async function post (name: string, key = t().keys.a, headers: Record<string, string> = {}) {
  return await t().app.inject({ method: 'POST', url: '/v1/jobs', payload: body(name), headers: { ...t().auth(key), ...headers } })
}

/** Jobs and events stored, all tenants: a refused submission adds to neither. */
async function stored (): Promise<[number, number]> {
  const db = t().deps.store.db
  return [(await db.selectFrom('jobs').select('id').execute()).length, (await db.selectFrom('job_events').select('id').execute()).length]
}

describe('the per-tenant cap on queued jobs', () => {
  test('a tenant\'s own cap: at it, POST /v1/jobs is 429 queue-full naming the cap and stores nothing; replays still answer; others go on', async () => {
    const patched = await t().app.inject({ method: 'PATCH', url: '/v1/tenants/a', headers: t().auth(t().keys.operator), payload: { maxQueuedJobs: 2 } })
    expect(patched.statusCode).toBe(200)
    const first = await post('one', t().keys.a, { 'idempotency-key': 'k1' })
    expect(first.statusCode).toBe(201)
    expect((await post('two')).statusCode).toBe(201)
    const before = await stored()

    const full = await post('three')
    expect(full.statusCode).toBe(429)
    expect(full.headers['content-type']).toContain('application/problem+json')
    expect(full.json()).toMatchObject({ type: 'https://greenshift.dev/problems/queue-full', status: 429 })
    expect(full.json().detail).toContain('cap of 2')
    expect(await stored()).toEqual(before)

    const replay = await post('one', t().keys.a, { 'idempotency-key': 'k1' })
    expect(replay.statusCode).toBe(200)
    expect(replay.json().id).toBe(first.json().id)
    expect((await post('b-one', t().keys.b)).statusCode).toBe(201)
  })

  test('submissions racing for the last places: exactly the cap is accepted', async () => {
    await t().app.inject({ method: 'PATCH', url: '/v1/tenants/a', headers: t().auth(t().keys.operator), payload: { maxQueuedJobs: 2 } })
    const codes = await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map(async name => (await post(name)).statusCode))
    expect(codes.sort()).toEqual([201, 201, 429, 429, 429])
    expect((await stored())[0]).toBe(2)
  })

  test('dispatched jobs hold GPUs, not a place in the queue; a cancelled one frees its place', async () => {
    await t().app.inject({ method: 'PATCH', url: '/v1/tenants/a', headers: t().auth(t().keys.operator), payload: { maxQueuedJobs: 1 } })
    const first = (await post('one')).json()
    expect((await post('two')).statusCode).toBe(429)
    await t().deps.store.db.updateTable('jobs').set({ state: 'dispatched' }).where('id', '=', first.id).execute()
    const second = await post('two')
    expect(second.statusCode).toBe(201)
    expect((await post('three')).statusCode).toBe(429)
    expect((await t().app.inject({ method: 'POST', url: `/v1/jobs/${second.json().id as string}/cancel`, headers: t().auth(t().keys.a) })).statusCode).toBe(200)
    expect((await post('three')).statusCode).toBe(201)
  })

  test('without a cap of its own, a tenant has GREENSHIFT_MAX_QUEUED_JOBS; its own cap overrides it either way', async () => {
    const deps = t().deps
    const app = await buildApp({ ...deps, config: { ...deps.config, maxQueuedJobs: 1 }, now: () => NOW, ready: () => true })
    try {
      const submit = async (key: string, name: string) => (await app.inject({ method: 'POST', url: '/v1/jobs', payload: body(name), headers: t().auth(key) })).statusCode
      expect(await submit(t().keys.a, 'one')).toBe(201)
      expect(await submit(t().keys.a, 'two')).toBe(429)
      await app.inject({ method: 'PATCH', url: '/v1/tenants/a', headers: t().auth(t().keys.operator), payload: { maxQueuedJobs: 3 } })
      expect(await submit(t().keys.a, 'two')).toBe(201)
      await app.inject({ method: 'PATCH', url: '/v1/tenants/a', headers: t().auth(t().keys.operator), payload: { maxQueuedJobs: null } })
      expect(await submit(t().keys.a, 'three')).toBe(429)
    } finally {
      await app.close()
    }
  })

  test('GREENSHIFT_MAX_QUEUED_JOBS defaults to 10000 and must be a positive integer', () => {
    expect(loadConfig({}).maxQueuedJobs).toBe(10_000)
    expect(loadConfig({ GREENSHIFT_MAX_QUEUED_JOBS: '50' }).maxQueuedJobs).toBe(50)
    for (const bad of ['0', '-1', '2.5', 'many']) {
      expect(() => loadConfig({ GREENSHIFT_MAX_QUEUED_JOBS: bad })).toThrow(ConfigError)
      expect(() => loadConfig({ GREENSHIFT_MAX_QUEUED_JOBS: bad })).toThrow(/GREENSHIFT_MAX_QUEUED_JOBS/)
    }
  })
})

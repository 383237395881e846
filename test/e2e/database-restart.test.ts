import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildProviders, loadConfig } from '../../src/config.js'
import { serve } from '../../src/main.js'
import type { Deps } from '../../src/scheduler/deps.js'
import { tick } from '../../src/scheduler/tick.js'
import { openStore, type Store } from '../../src/store/db.js'
import { isDatabaseUnavailable } from '../../src/store/unavailable.js'
import { postgresBin, startPrivatePostgres, type PrivatePostgres } from '../support/private-pg.js'

const CONFIG = fileURLToPath(new URL('../fixtures/api/config.json', import.meta.url))
const ADMIN = 'gs_database_restart_test_key_000'
const HOUR = 3_600_000

/**
 * The service on a PostgreSQL of the test's own, which the test stops, restarts and kills under it:
 * the process survives, answers 503 problem+json with Retry-After while the database is away,
 * reconnects by itself, and loses no accepted job.
 */
describe.skipIf(postgresBin() === undefined)('the service across a PostgreSQL restart and crash', () => {
  let pg: PrivatePostgres
  let service: Awaited<ReturnType<typeof serve>>
  const accepted: string[] = []

  beforeAll(async () => {
    pg = await startPrivatePostgres()
    service = await serve({
      DATABASE_URL: pg.url, GREENSHIFT_CONFIG: CONFIG, GREENSHIFT_ADMIN_KEY: ADMIN, GREENSHIFT_SCHEDULER: 'off',
      PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent'
    })
  }, 120_000)
  afterAll(async () => {
    await service?.close()
    pg?.remove()
  })

  const submit = async (name: string): Promise<Response> => await fetch(`${service.url}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'idempotency-key': name },
    body: JSON.stringify({ name, command: ['train'], gpus: 1, durationMinutes: 60, deadline: new Date(Date.now() + 20 * HOUR).toISOString(), pools: ['gpu-north'] })
  })

  /** Submits until a 201, each refusal a 503 (the pool reconnects on demand; a stale connection may fail once). */
  async function submitUntilAccepted (name: string): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const res = await submit(name)
      if (res.status === 201) {
        accepted.push(((await res.json()) as { id: string }).id)
        return
      }
      expect(res.status).toBe(503)
    }
    throw new Error(`${name} was never accepted`)
  }

  async function expectUnavailable (): Promise<void> {
    const post = await submit('during-outage')
    expect(post.status).toBe(503)
    expect(post.headers.get('content-type')).toContain('application/problem+json')
    expect(post.headers.get('retry-after')).toBe('5')
    expect(await post.json()).toMatchObject({ status: 503, type: 'https://greenshift.dev/problems/database-unavailable' })
    const list = await fetch(`${service.url}/v1/jobs`, { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(list.status).toBe(503)
    const ready = await fetch(`${service.url}/readyz`)
    expect(ready.status).toBe(503)
    expect(ready.headers.get('retry-after')).toBe('5')
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200)
  }

  test('a fast shutdown (57P01 to every connection) and a restart', async () => {
    await submitUntilAccepted('before-stop')
    pg.stop()
    await expectUnavailable()
    pg.start()
    await submitUntilAccepted('after-restart')
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200)
  }, 120_000)

  test('a kill -9 of the postmaster and a start', async () => {
    pg.kill()
    await expectUnavailable()
    pg.start()
    await submitUntilAccepted('after-crash')
    const list = await fetch(`${service.url}/v1/jobs?limit=100`, { headers: { authorization: `Bearer ${ADMIN}` } })
    const ids = ((await list.json()) as { jobs: Array<{ id: string }> }).jobs.map(j => j.id)
    expect(ids.sort()).toEqual([...accepted].sort())
  }, 120_000)

  test('a scheduler pass fails as "database unavailable" while it is down, and leads again once it is back', async () => {
    const config = loadConfig({ GREENSHIFT_CONFIG: CONFIG })
    const store: Store = await openStore({ databaseUrl: pg.url, onConnectionError: () => {} })
    const deps: Deps = { store, config, providers: buildProviders(config), zoneStatus: new Map(), log: pino({ level: 'silent' }) }
    try {
      expect((await tick(deps, 'restart-test', Date.now(), 60_000)).leader).toBe(true)
      pg.stop()
      const err = await tick(deps, 'restart-test', Date.now(), 60_000).then(() => undefined, (e: unknown) => e)
      expect(isDatabaseUnavailable(err)).toBe(true)
      pg.start()
      let result = await tick(deps, 'restart-test', Date.now(), 60_000).catch(() => undefined)
      // One stale connection may fail the first pass after the restart; the next reconnects.
      result ??= await tick(deps, 'restart-test', Date.now(), 60_000)
      expect(result.leader).toBe(true)
    } finally {
      await store.close()
    }
  }, 120_000)
})

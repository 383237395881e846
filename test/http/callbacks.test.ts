import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { buildProviders, type Config } from '../../src/config.js'
import { sign } from '../../src/executors/signing.js'
import { buildApp } from '../../src/http/app.js'
import { createApiKey } from '../../src/store/api-keys.js'
import { getJobById, transitionJob } from '../../src/store/jobs.js'
import { insertPool, seedPools } from '../../src/store/pools.js'
import { getRun, insertRun, listMeasurements } from '../../src/store/runs.js'
import { listSegments } from '../../src/store/segments.js'
import { createTenant } from '../../src/store/tenants.js'
import { HOUR, iso, NOW, testConfig } from '../support/app.js'
import { useTestStore } from '../support/db.js'

const SECRET = 'whsec_' + Buffer.from('hook-pool-secret-42').toString('base64')
const HOOK_POOL = {
  name: 'gpu-hook', zone: 'NORTH', gpuModel: 'L4', gpuCount: 4, wattsPerGpu: 500, pue: 1.2,
  executor: { kind: 'webhook' as const, url: 'http://127.0.0.1:9/hook', secretEnv: 'TEST_HOOK_SECRET' }, enabled: true, embodiedGPerGpuHour: null, hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null
}

const store = useTestStore()
let config: Config
let app: FastifyInstance
let clock: { now: number }
let key: string
let messages = 0

beforeAll(() => { config = testConfig() })

// As useTestApp, plus a webhook pool whose secret is in the app's environment.
beforeEach(async () => {
  const db = store().db
  await seedPools(db, config.pools, new Date(NOW))
  await insertPool(db, HOOK_POOL, new Date(NOW))
  const tenant = await createTenant(db, 'a')
  key = (await createApiKey(db, { tenantId: tenant.id, name: 'test', scopes: ['submit', 'read'] })).key
  clock = { now: NOW }
  const deps = { store: store(), config, providers: buildProviders(config), zoneStatus: new Map(), log: pino({ level: 'silent' }), env: { TEST_HOOK_SECRET: SECRET } }
  app = await buildApp({ ...deps, now: () => clock.now, ready: () => true })
})
afterEach(async () => { await app.close() })

/** A job submitted to `pool` and moved to dispatched as attempt 1, with its run open. */
async function dispatchedJob (pool = 'gpu-hook'): Promise<string> {
  const res = await app.inject({
    method: 'POST', url: '/v1/jobs', headers: { authorization: `Bearer ${key}` },
    payload: { name: 'finetune', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), pools: [pool] }
  })
  expect(res.statusCode).toBe(201)
  const id = res.json().id as string
  await transitionJob(store().db, { id, from: ['planned'], to: 'dispatched', at: new Date(NOW), reason: 'test', attempt: 1 })
  await insertRun(store().db, { jobId: id, attempt: 1, pool, executor: pool === 'gpu-hook' ? 'webhook' : 'agent', at: NOW })
  return id
}

/**
 * POSTs `body` signed with `secret` at `atSec` to the callback of `jobId`. An object body gets
 * `jobId` first, as every receiver must send it (`jobId: undefined` leaves it out); a string body
 * is sent as this exact text.
 */
async function callback (jobId: string, body: string | Record<string, unknown>, opts: { secret?: string, atSec?: number, headers?: Record<string, string> } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify({ jobId, ...body })
  const signed = sign(opts.secret ?? SECRET, `cb_${++messages}`, opts.atSec ?? Math.floor(clock.now / 1000), text)
  return await post(jobId, text, { ...signed, ...opts.headers })
}

/** POSTs `text` with `headers` to the callback of `jobId`, as received: e.g. a captured, signed message. */
async function post (jobId: string, text: string, headers: Record<string, string>) {
  return await app.inject({ method: 'POST', url: `/v1/callbacks/jobs/${jobId}`, payload: text, headers: { 'content-type': 'application/json', ...headers } })
}

const state = async (id: string) => (await getJobById(store().db, id))?.state

describe('POST /v1/callbacks/jobs/:id', () => {
  test('started moves the job to running, at the time the receiver reports', async () => {
    const id = await dispatchedJob()
    clock.now = NOW + 90_000
    const res = await callback(id, { type: 'started', attempt: 1, at: iso(NOW + 60_000) })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ applied: true, cancel: false, state: 'running' })
    expect(await getRun(store().db, id, 1)).toMatchObject({ startedAt: NOW + 60_000, acceptedAt: NOW + 60_000, heartbeatAt: expect.any(Number) as number })
  })

  test('the signature covers the raw body: spacing the JSON differently is fine when it is what was signed', async () => {
    const id = await dispatchedJob()
    const res = await callback(id, `{ "jobId": "${id}", "type" : "started",\n  "attempt": 1 }`)
    expect(res.json()).toMatchObject({ applied: true, state: 'running' })
  })

  test('a heartbeat stores progress and a measurement', async () => {
    const id = await dispatchedJob()
    await callback(id, { type: 'started', attempt: 1 })
    clock.now = NOW + 15 * 60_000
    const res = await callback(id, { type: 'heartbeat', attempt: 1, progress: 0.25, powerW: 830, energyKwh: 0.21 })
    expect(res.json()).toEqual({ applied: true, cancel: false, state: 'running' })
    expect(await listMeasurements(store().db, id, 1)).toEqual([{ at: NOW + 15 * 60_000, powerW: 830, energyKwh: 0.21 }])
    expect(await getRun(store().db, id, 1)).toMatchObject({ progress: 0.25, heartbeatAt: expect.any(Number) as number })
  })

  test('finished with exit code 0 and measured energy: job succeeded, run closed, actual segment recorded', async () => {
    const id = await dispatchedJob()
    await callback(id, { type: 'started', attempt: 1 })
    clock.now = NOW + 2 * HOUR + 60_000
    const res = await callback(id, { type: 'finished', attempt: 1, exitCode: 0, finishedAt: iso(NOW + 2 * HOUR), energyKwh: 1.9 })
    expect(res.json()).toEqual({ applied: true, cancel: false, state: 'succeeded' })
    expect(await getRun(store().db, id, 1)).toMatchObject({ outcome: 'succeeded', exitCode: 0, energyKwh: 1.9, startedAt: NOW, finishedAt: NOW + 2 * HOUR })
    const segments = await listSegments(store().db, id)
    expect(segments.map(s => ({ kind: s.kind, pool: s.pool, start: s.start, end: s.end })))
      .toEqual([{ kind: 'actual', pool: 'gpu-hook', start: NOW, end: NOW + 2 * HOUR }])
    const again = await callback(id, { type: 'finished', attempt: 1, exitCode: 0, finishedAt: iso(NOW + 2 * HOUR) })
    expect(again.json()).toEqual({ applied: false, cancel: false, state: 'succeeded' })
  })

  test('a bad, missing or wrong-secret signature is 401 problem+json and changes nothing', async () => {
    const id = await dispatchedJob()
    const body = { jobId: id, type: 'started', attempt: 1 }
    const tampered = await callback(id, body, { headers: { 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') } })
    expect(tampered.statusCode).toBe(401)
    expect(tampered.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(tampered.json()).toMatchObject({ status: 401, errors: [{ field: 'webhook-signature' }] })
    expect((await callback(id, body, { secret: 'whsec_' + Buffer.from('guess').toString('base64') })).statusCode).toBe(401)
    const unsigned = await app.inject({ method: 'POST', url: `/v1/callbacks/jobs/${id}`, payload: body, headers: { authorization: `Bearer ${key}` } })
    expect(unsigned.statusCode).toBe(401)
    expect(unsigned.json().errors).toEqual([{ field: 'webhook-id', message: 'invalid signature: missing webhook-id header' }])
    expect(await state(id)).toBe('dispatched')
    expect((await getRun(store().db, id, 1))?.startedAt).toBeNull()
  })

  test('a timestamp more than 5 minutes old, or ahead, is 401', async () => {
    const id = await dispatchedJob()
    const old = await callback(id, { type: 'started', attempt: 1 }, { atSec: NOW / 1000 - 301 })
    expect(old.statusCode).toBe(401)
    expect(old.json().errors[0].field).toBe('webhook-timestamp')
    expect((await callback(id, { type: 'started', attempt: 1 }, { atSec: NOW / 1000 + 301 })).statusCode).toBe(401)
    expect((await callback(id, { type: 'started', attempt: 1 }, { atSec: NOW / 1000 - 299 })).statusCode).toBe(200)
  })

  test('an unknown job, and a job outside a webhook pool, are 404 alike', async () => {
    const unknown = await callback('8a1f3b3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b', { type: 'started', attempt: 1 })
    const agentJob = await callback(await dispatchedJob('gpu-north'), { type: 'started', attempt: 1 })
    expect([unknown.statusCode, agentJob.statusCode]).toEqual([404, 404])
    expect(agentJob.json().type).toBe(unknown.json().type)
  })

  test('a report on a superseded attempt is not applied and tells the receiver to stop', async () => {
    const id = await dispatchedJob()
    await transitionJob(store().db, { id, from: ['dispatched'], to: 'dispatched', at: new Date(NOW), reason: 'test', attempt: 2 })
    await insertRun(store().db, { jobId: id, attempt: 2, pool: 'gpu-hook', executor: 'webhook', at: NOW })
    const res = await callback(id, { type: 'heartbeat', attempt: 1, progress: 0.5, powerW: 100 })
    expect(res.json()).toEqual({ applied: false, cancel: true, state: 'dispatched' })
    expect(await listMeasurements(store().db, id, 1)).toEqual([])
  })

  test('a heartbeat on a cancelled job answers cancel', async () => {
    const id = await dispatchedJob()
    await transitionJob(store().db, { id, from: ['dispatched'], to: 'cancelled', at: new Date(NOW), reason: 'test' })
    expect((await callback(id, { type: 'heartbeat', attempt: 1 })).json()).toEqual({ applied: true, cancel: true, state: 'cancelled' })
  })

  test.each([
    ['finished without exitCode', 400, 'exitCode', { type: 'finished', attempt: 1, finishedAt: iso(NOW) }],
    ['finished without finishedAt', 400, 'finishedAt', { type: 'finished', attempt: 1, exitCode: 0 }],
    ['finishedAt before startedAt', 422, 'finishedAt', { type: 'finished', attempt: 1, exitCode: 0, startedAt: iso(NOW), finishedAt: iso(NOW - 1000) }],
    ['a start in the future', 422, 'at', { type: 'started', attempt: 1, at: iso(NOW + HOUR) }],
    ['an unknown field', 400, 'colour', { type: 'started', attempt: 1, colour: 'green' }],
    ['an unknown type', 400, 'type', { type: 'paused', attempt: 1 }],
    ['attempt 0', 400, 'attempt', { type: 'started', attempt: 0 }],
    ['an attempt beyond PostgreSQL\'s integer', 400, 'attempt', { type: 'heartbeat', attempt: 2 ** 31, powerW: 100 }],
    ['no jobId', 400, 'jobId', { jobId: undefined, type: 'started', attempt: 1 }],
    ['a jobId that is not a uuid', 400, 'jobId', { jobId: 'job-1', type: 'started', attempt: 1 }],
    ['another job\'s id', 400, 'jobId', { jobId: '8a1f3b3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b', type: 'started', attempt: 1 }],
    ['progress above 1', 400, 'progress', { type: 'heartbeat', attempt: 1, progress: 1.5 }],
    ['negative energy', 400, 'energyKwh', { type: 'heartbeat', attempt: 1, energyKwh: -1 }]
  ])('%s is %i naming %s, and changes nothing', async (_name, status, field, body) => {
    const id = await dispatchedJob()
    const res = await callback(id, body)
    expect(res.statusCode).toBe(status)
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field)
    expect(await state(id)).toBe('dispatched')
    expect(await listMeasurements(store().db, id, 1)).toEqual([])
  })

  test('a huge attempt is a 400 before the signature is checked, not a database error', async () => {
    const id = await dispatchedJob()
    const res = await post(id, JSON.stringify({ jobId: id, type: 'started', attempt: 2 ** 31 }), {})
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ field: 'attempt', message: 'must be <= 2147483647' }])
    expect(await getRun(store().db, id, 1)).toMatchObject({ startedAt: null, heartbeatAt: null })
  })

  test('a signed report for one job replayed to another job of the same pool is refused, and changes nothing', async () => {
    const a = await dispatchedJob()
    const b = await dispatchedJob()
    await callback(b, { type: 'started', attempt: 1 })
    clock.now = NOW + 2 * HOUR
    const text = JSON.stringify({ jobId: a, type: 'finished', attempt: 1, exitCode: 1, finishedAt: iso(NOW + 2 * HOUR), detail: 'out of memory' })
    const signed = sign(SECRET, 'cb_replayed', Math.floor(clock.now / 1000), text)
    expect((await post(a, text, signed)).json()).toMatchObject({ applied: true, state: 'failed' })
    const replayed = await post(b, text, signed)
    expect(replayed.statusCode).toBe(400)
    expect(replayed.json()).toMatchObject({ detail: 'jobId: does not match the URL', errors: [{ field: 'jobId', message: 'does not match the URL' }] })
    expect(await state(b)).toBe('running')
    expect(await getRun(store().db, b, 1)).toMatchObject({ outcome: null, finishedAt: null, exitCode: null })
  })

  test('only JSON is taken', async () => {
    const id = await dispatchedJob()
    const res = await callback(id, 'type=started', { headers: { 'content-type': 'text/plain' } })
    expect(res.statusCode).toBe(415)
  })
})

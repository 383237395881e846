import { describe, expect, test } from 'vitest'
import { TokenBuckets } from '../../src/http/rate-limit.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp({ rateLimitPerSecond: 2, rateLimitBurst: 3 })

const list = async (key: string) => await t().app.inject({ method: 'GET', url: '/v1/jobs', headers: t().auth(key) })

describe('the per-caller rate limit', () => {
  test('a key gets its burst, then 429 with Retry-After, then again as its bucket refills; keys are independent', async () => {
    for (let i = 0; i < 3; i++) expect((await list(t().keys.a)).statusCode).toBe(200)
    const refused = await list(t().keys.a)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    expect(refused.headers['retry-after']).toBe('1')
    expect(refused.json()).toMatchObject({ status: 429, type: 'https://greenshift.dev/problems/rate-limited' })
    // Another key of the same tenant has its own bucket.
    expect((await list(t().keys.aRead)).statusCode).toBe(200)
    // 2 per second: after 500 ms one more request, not two.
    t().clock.now += 500
    expect((await list(t().keys.a)).statusCode).toBe(200)
    expect((await list(t().keys.a)).statusCode).toBe(429)
  })

  test('a refused submission stores nothing; health, readiness and metrics are never limited', async () => {
    for (let i = 0; i < 3; i++) await list(t().keys.a)
    const job = { name: 'x', gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR) }
    expect((await t().app.inject({ method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a), payload: job })).statusCode).toBe(429)
    expect(await t().deps.store.db.selectFrom('jobs').select('id').execute()).toEqual([])
    for (let i = 0; i < 10; i++) {
      for (const url of ['/healthz', '/readyz', '/metrics']) expect((await t().app.inject({ url })).statusCode).toBe(200)
    }
  })

  test('agent tokens are limited per token, callbacks per client IP', async () => {
    const token = (await t().app.inject({ method: 'POST', url: '/v1/pools/gpu-north/tokens', headers: t().auth(t().keys.operator), payload: {} })).json().token
    const claim = async () => await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: { authorization: `Bearer ${token}` }, payload: { agent: 'h1' } })
    expect([await claim(), await claim(), await claim(), await claim()].map(r => r.statusCode)).toEqual([204, 204, 204, 429])
    const id = '00000000-0000-4000-8000-000000000000'
    const callback = async (remoteAddress: string) => await t().app.inject({ method: 'POST', url: `/v1/callbacks/jobs/${id}`, remoteAddress, payload: { jobId: id, type: 'heartbeat', attempt: 1 } })
    expect([await callback('10.0.0.1'), await callback('10.0.0.1'), await callback('10.0.0.1'), await callback('10.0.0.1')].map(r => r.statusCode)).toEqual([404, 404, 404, 429])
    expect((await callback('10.0.0.2')).statusCode).toBe(404)
  })

  test('an unknown key is refused with 401 before it gets a bucket', async () => {
    for (let i = 0; i < 5; i++) expect((await list('gs_unknown_key_0123456789abcdef0123')).statusCode).toBe(401)
  })
})

describe('TokenBuckets', () => {
  test('Retry-After is the whole seconds until a token is back', () => {
    const buckets = new TokenBuckets(0.25, 1)
    expect(buckets.take('k', 0)).toBe(0)
    expect(buckets.take('k', 0)).toBe(4)
    expect(buckets.take('k', 3_000)).toBe(1)
    expect(buckets.take('k', 4_000)).toBe(0)
  })

  test('a clock stepping back refills nothing', () => {
    const buckets = new TokenBuckets(1, 1)
    expect(buckets.take('k', 10_000)).toBe(0)
    expect(buckets.take('k', 0)).toBe(1)
  })

  test('memory stays bounded: idle full buckets are dropped, and the least recent past the cap', () => {
    const buckets = new TokenBuckets(10, 10, 100)
    for (let i = 0; i < 1000; i++) buckets.take(`k${i}`, 0)
    expect(buckets.size).toBe(100)
    // One second later every bucket is full again: each call drops two of them.
    for (let i = 0; i < 60; i++) buckets.take('busy', 1_000)
    expect(buckets.size).toBe(1)
  })
})

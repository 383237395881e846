import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()

async function post (url: string, payload: string | object) {
  return await t().app.inject({
    method: 'POST', url, headers: { ...t().auth(t().keys.a), 'content-type': 'application/json' },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload)
  })
}

async function get (url: string) {
  return await t().app.inject({ method: 'GET', url, headers: t().auth(t().keys.a) })
}

const cursorAt = (ms: number, id = '00000000-0000-4000-8000-000000000000') => Buffer.from(JSON.stringify([ms, id])).toString('base64url')

const valid = { name: 'x', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR) }

describe('no client input produces a 5xx', () => {
  test.each([
    ['NUL in name', JSON.stringify({ ...valid, name: 'a\u0000b' })],
    ['NUL in a label', JSON.stringify({ ...valid, labels: { k: '\u0000' } })],
    ['payload nested 5,000 deep', JSON.stringify(valid).replace(/}$/, `,"payload":${'['.repeat(5000)}${']'.repeat(5000)}}`)],

    ['gpus as a boolean', JSON.stringify({ ...valid, gpus: true })],
    ['command as a string', JSON.stringify({ ...valid, command: 'python train.py --lr 1e-4' })],
    ['name as a number', JSON.stringify({ ...valid, name: 42 })]
  ])('%s → 400, nothing stored', async (_name, body) => {
    const res = await post('/v1/jobs', body)
    expect(res.statusCode).toBe(400)
    expect((await get('/v1/jobs')).json().jobs).toEqual([])
  })

  test.each(['0026-11-24T00:00:00Z', '0000-01-01T00:00:00Z'])('notBefore %s (long past) → 422 naming notBefore, nothing stored', async notBefore => {
    const res = await post('/v1/jobs', { ...valid, notBefore })
    expect(res.statusCode).toBe(422)
    expect(res.json().errors[0].field).toBe('notBefore')
    expect((await get('/v1/jobs')).json().jobs).toEqual([])
  })

  test.each([
    ['plain', '"__proto__"'],
    ['written with escapes', '"\\u005f_proto__"']
  ])('a __proto__ key (%s) is dropped, never merged into the job', async (_how, key) => {
    const res = await post('/v1/jobs', '{' + key + ':{"state":"succeeded"},"name":"x","command":["x"],"gpus":1,"durationMinutes":60,"deadline":"' + valid.deadline + '"}')
    expect(res.statusCode).toBe(201)
    expect(res.json().state).toBe('planned')
    expect(({} as Record<string, unknown>).state).toBeUndefined()
  })

  test.each([
    ['cursor holding a huge instant', `/v1/jobs?cursor=${Buffer.from(JSON.stringify([9e15, 'a'])).toString('base64url')}`],
    ['cursor with a NUL id', `/v1/jobs?cursor=${Buffer.from(JSON.stringify([1, '\u0000'])).toString('base64url')}`],
    ['intensity in year 9999', '/v1/zones/NORTH/intensity?from=9999-12-31T12:00:00Z'],
    ['intensity in year 0', '/v1/zones/NORTH/intensity?from=0000-01-01T00:00:00Z'],
    ['intensity in year 50', '/v1/zones/NORTH/intensity?from=0050-01-01T00:00:00Z']
  ])('%s → 400', async (_name, url) => {
    expect((await get(url)).statusCode).toBe(400)
  })

  test.each([
    ['labels value', { labels: { team: '\ud800' } }, 'labels.team'],
    ['labels key', { labels: { ['a\udc00b']: 'x' } }, 'labels'],
    ['command element', { command: ['python', 'a\udc00b'] }, 'command[1]'],
    ['payload deep inside', { payload: { runs: [{ tag: 'ok' }, { tag: '\udbff' }] } }, 'payload.runs[1].tag'],
    ['name', { name: 'train\ud800' }, 'name']
  ])('a lone surrogate in the %s → 400 naming the field, nothing stored', async (_what, extra, field) => {
    const res = await post('/v1/jobs', { ...valid, ...extra })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors).toEqual([{ field, message: expect.stringContaining('Unicode') }])
    expect(await t().deps.store.db.selectFrom('jobs').select('id').execute()).toEqual([])
  })

  test('well-formed astral characters (a surrogate pair) are kept as sent', async () => {
    const res = await post('/v1/jobs', { ...valid, name: 'train 🚀', labels: { team: '𝔫lp' } })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ name: 'train 🚀', labels: { team: '𝔫lp' } })
  })

  test('lone surrogates are refused in the agent and callback APIs too', async () => {
    const token = (await t().app.inject({ method: 'POST', url: '/v1/pools/gpu-north/tokens', headers: t().auth(t().keys.operator), payload: { name: 'r' } })).json().token
    const claim = await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ agent: 'h\ud800' }) })
    expect(claim.statusCode).toBe(400)
    expect(claim.json().errors).toEqual([{ field: 'agent', message: expect.stringContaining('Unicode') }])
    const callback = await t().app.inject({
      method: 'POST', url: '/v1/callbacks/jobs/00000000-0000-4000-8000-000000000000', headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ jobId: '00000000-0000-4000-8000-000000000000', type: 'finished', attempt: 1, detail: 'x\udc00' })
    })
    expect(callback.statusCode).toBe(400)
    expect(callback.json().errors).toEqual([{ field: 'detail', message: expect.stringContaining('Unicode') }])
  })

  test.each([8.64e15, -8.64e15, Date.UTC(10000, 0, 1), -1, 1.5])('a forged cursor at %d ms → 400 naming cursor', async ms => {
    const res = await get(`/v1/jobs?cursor=${cursorAt(ms)}`)
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ field: 'cursor', message: expect.any(String) }])
  })

  test('cursors of the first and the last representable instants still page', async () => {
    for (const ms of [0, Date.UTC(9999, 11, 31, 23, 59, 59, 999)]) expect((await get(`/v1/jobs?cursor=${cursorAt(ms)}`)).statusCode).toBe(200)
  })

  test('a pool name with NUL, or an executor URL that is not http(s), is refused', async () => {
    const patch = await t().app.inject({ method: 'PATCH', url: '/v1/pools/%00', headers: t().auth(t().keys.operator), payload: { gpuCount: 1 } })
    expect(patch.statusCode).toBe(400)
    const pool = { name: 'p', zone: 'SOUTH', gpuModel: 'x', gpuCount: 1, wattsPerGpu: 1, pue: 1, executor: { kind: 'webhook', url: 'file:///etc/passwd', secretEnv: 'X' } }
    const created = await t().app.inject({ method: 'POST', url: '/v1/pools', headers: t().auth(t().keys.operator), payload: pool })
    expect(created.statusCode).toBe(400)
  })

  test('the same body with keys in another order is the same idempotent request', async () => {
    const a = await post('/v1/jobs', '{"name":"x","command":["x"],"gpus":1,"durationMinutes":60,"deadline":"' + valid.deadline + '","labels":{"a":"1","b":"2"}}')
    const b = await t().app.inject({
      method: 'POST', url: '/v1/jobs', headers: { ...t().auth(t().keys.a), 'content-type': 'application/json', 'idempotency-key': 'k' },
      payload: '{"labels":{"b":"2","a":"1"},"deadline":"' + valid.deadline + '","durationMinutes":60,"gpus":1,"command":["x"],"name":"x"}'
    })
    const c = await t().app.inject({
      method: 'POST', url: '/v1/jobs', headers: { ...t().auth(t().keys.a), 'content-type': 'application/json', 'idempotency-key': 'k' },
      payload: '{"name":"x","command":["x"],"gpus":1,"durationMinutes":60,"deadline":"' + valid.deadline + '","labels":{"a":"1","b":"2"}}'
    })
    expect(a.statusCode).toBe(201)
    expect(b.statusCode).toBe(201)
    expect(c.statusCode).toBe(200)
    expect(c.json().id).toBe(b.json().id)
  })

  test('fuzzed job bodies: always a 201 or a 4xx problem naming a field, never a 5xx', async () => {
    const instant = fc.oneof(
      fc.integer({ min: -62_000_000_000_000, max: 253_000_000_000_000 }).map(ms => new Date(ms).toISOString()),
      fc.integer({ min: -48, max: 48 * 40 }).map(h => iso(NOW + h * HOUR)),
      fc.string()
    )
    const body = fc.record({
      name: fc.oneof(fc.string(), fc.integer()),
      gpus: fc.oneof(fc.integer({ min: -2, max: 20 }), fc.double(), fc.boolean()),
      durationMinutes: fc.oneof(fc.integer({ min: -5, max: 50_000 }), fc.constant(0)),
      deadline: instant,
      notBefore: instant,
      interruptible: fc.boolean(),
      minSegmentMinutes: fc.integer({ min: 0, max: 2000 }),
      pools: fc.array(fc.constantFrom('gpu-north', 'gpu-south', 'nope', ''), { maxLength: 3 }),
      labels: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
      payload: fc.jsonValue({ maxDepth: 4 })
    }, { requiredKeys: [] })
    await fc.assert(fc.asyncProperty(body, async b => {
      const res = await post('/v1/jobs', b)
      expect(res.statusCode).toBeLessThan(500)
      if (res.statusCode >= 400) expect(res.json().errors?.length ?? 0).toBeGreaterThan(0)
    }), { numRuns: 150 })
  })
})

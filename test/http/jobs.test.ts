import { describe, expect, test } from 'vitest'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()

/** A 2-GPU, 2-hour job due in 30 hours whose baseline is the NORTH pool (300 g/kWh now, 100 from 18:00). */
function body (over: Record<string, unknown> = {}) {
  return { name: 'finetune', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), preferredPool: 'gpu-north', ...over }
}

async function post (payload: unknown, key = t().keys.a, headers: Record<string, string> = {}) {
  return await t().app.inject({ method: 'POST', url: '/v1/jobs', payload: payload as object, headers: { ...t().auth(key), ...headers } })
}

async function count (key = t().keys.a): Promise<number> {
  const res = await t().app.inject({ method: 'GET', url: '/v1/jobs?limit=200', headers: t().auth(key) })
  return res.json().jobs.length
}

describe('POST /v1/jobs', () => {
  test('plans into the green hours and reports expected, baseline and avoided grams with signal and source', async () => {
    const res = await post(body())
    expect(res.statusCode).toBe(201)
    const job = res.json()
    expect(res.headers.location).toBe(`/v1/jobs/${job.id}`)
    expect(job.state).toBe('planned')
    expect(job.plan.pool).toBe('gpu-north')
    expect(job.plan.segments).toEqual([{ start: iso(NOW + 8 * HOUR), end: iso(NOW + 10 * HOUR) }])
    // 2 GPUs × 400 W × pue 1 = 0.8 kW; 2 h at 100 g/kWh = 160 g; at once, 2 h at 300 g/kWh = 480 g.
    expect(job.plan.energyKwh).toBeCloseTo(1.6, 6)
    expect(job.plan.expected).toMatchObject({ grams: 160, signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: expect.stringMatching(/^csv:north\.csv@sha256:[0-9a-f]{16}$/), method: 'expected', usesFallback: false })
    expect(job.plan.baseline).toMatchObject({ grams: 480, pool: 'gpu-north', start: iso(NOW) })
    expect(job.plan.expectedAvoided).toMatchObject({ grams: 320, percent: 66.67, signal: 'average' })
    expect(Date.parse(job.plan.latestSafeStart)).toBe(NOW + 28 * HOUR - 10 * 60_000)
  })

  test('moves a job to another region when its own has no green hour before the deadline', async () => {
    // Until 17:00 NORTH is 300 g/kWh × 0.8 kW = 240 g/h; SOUTH is 200 g/kWh × 1.0 kW = 200 g/h.
    const res = await post(body({ deadline: iso(NOW + 7 * HOUR) }))
    expect(res.statusCode).toBe(201)
    expect(res.json().plan).toMatchObject({ pool: 'gpu-south', zone: 'SOUTH' })
    expect(res.json().plan.expected.grams).toBe(400)
    expect(res.json().plan.baseline.grams).toBe(480)
  })

  test('an interruptible job runs only in green slices', async () => {
    const res = await post(body({ interruptible: true, durationMinutes: 300, minSegmentMinutes: 60, deadline: iso(NOW + 36 * HOUR), pools: ['gpu-north'] }))
    expect(res.statusCode).toBe(201)
    const segs = res.json().plan.segments as Array<{ start: string, end: string }>
    const minutes = segs.reduce((m, s) => m + (Date.parse(s.end) - Date.parse(s.start)) / 60_000, 0)
    expect(minutes).toBeGreaterThanOrEqual(300)
    for (const s of segs) expect(Date.parse(s.end) - Date.parse(s.start)).toBeGreaterThanOrEqual(HOUR)
    // 4 green hours today and 4 tomorrow cover 5 h of work (+ resume overhead): all at 100 g/kWh.
    for (const s of segs) expect(new Date(s.start).getUTCHours()).toBeGreaterThanOrEqual(18)
  })

  test('a retried POST with the same Idempotency-Key returns the same job; a different body is refused', async () => {
    const first = await post(body(), undefined, { 'idempotency-key': 'k-1' })
    const again = await post(body(), undefined, { 'idempotency-key': 'k-1' })
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(200)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json().id).toBe(first.json().id)
    const changed = await post(body({ gpus: 3 }), undefined, { 'idempotency-key': 'k-1' })
    expect(changed.statusCode).toBe(422)
    expect(await count()).toBe(1)
  })

  test.each([
    ['missing name', 400, 'name', body({ name: undefined })],
    ['unknown field', 400, 'colour', body({ colour: 'green' })],
    ['gpus not an integer', 400, 'gpus', body({ gpus: 1.5 })],
    ['deadline not a date-time', 400, 'deadline', body({ deadline: 'tomorrow' })],
    ['deadline passed', 422, 'deadline', body({ deadline: iso(NOW - HOUR) })],
    ['duration longer than the window', 422, 'durationMinutes', body({ durationMinutes: 31 * 60 })],
    ['notBefore after the deadline', 422, 'notBefore', body({ notBefore: iso(NOW + 31 * HOUR) })],
    ['unknown pool', 422, 'pools[1]', body({ preferredPool: undefined, pools: ['gpu-north', 'nope'] })],
    ['unknown zone', 422, 'zones[0]', body({ preferredPool: undefined, zones: ['MARS'] })],
    ['preferred pool not allowed', 422, 'preferredPool', body({ pools: ['gpu-south'] })],
    ['more GPUs than any pool has', 422, 'gpus', body({ gpus: 9 })],
    ['command and payload', 400, 'payload', body({ command: ['python', 'train.py'], payload: { a: 1 } })],
    ['pools and zones', 400, 'zones', body({ pools: ['gpu-north'], zones: ['NORTH'] })],
    ['empty command', 400, 'command', body({ command: [] })],
    ['label key with a space', 400, 'labels.bad key', body({ labels: { team: 'nlp', 'bad key': 'v' } })]
  ])('%s → %i naming %s, nothing stored', async (_name, status, field, payload) => {
    const res = await post(payload)
    expect(res.statusCode).toBe(status)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field)
    expect(await count()).toBe(0)
  })

  test('bad JSON and oversized bodies are 4xx problems', async () => {
    const bad = await t().app.inject({ method: 'POST', url: '/v1/jobs', payload: '{"name":', headers: { ...t().auth(t().keys.a), 'content-type': 'application/json' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors[0].field).toBe('body')
    const big = await post(body({ payload: { blob: 'x'.repeat(1024 * 1024 + 10) } }))
    expect(big.statusCode).toBe(413)
    expect(await count()).toBe(0)
  })

  test('capacity: never more GPUs reserved in a pool than it has, at any instant', async () => {
    const jobs = []
    for (let i = 0; i < 5; i++) jobs.push((await post(body({ name: `j${i}`, gpus: 4, pools: ['gpu-north'] }))).json())
    const green = jobs.filter(j => j.plan.expected.grams === 320)
    expect(green).toHaveLength(4) // two at a time × two 2-hour slots in 18:00–22:00
    for (let at = NOW; at < NOW + 30 * HOUR; at += 15 * 60_000) {
      const used = jobs.filter(j => j.plan.segments.some((s: { start: string, end: string }) => Date.parse(s.start) <= at && at < Date.parse(s.end)))
        .reduce((n, j) => n + j.gpus, 0)
      expect(used).toBeLessThanOrEqual(8)
    }
  })

  test('a pool with no room before the deadline is a 409 that stores nothing', async () => {
    const big = body({ gpus: 8, durationMinutes: 20 * 60, deadline: iso(NOW + 24 * HOUR), pools: ['gpu-north'] })
    expect((await post(big)).statusCode).toBe(201)
    const full = await post({ ...big, name: 'second' })
    expect(full.statusCode).toBe(409)
    expect(full.json().errors[0].field).toBe('deadline')
    expect(await count()).toBe(1)
  })
})

describe('concurrent submissions', () => {
  test('two jobs racing for the same GPUs: one is planned, the other is a 409', async () => {
    const big = body({ gpus: 8, durationMinutes: 20 * 60, deadline: iso(NOW + 24 * HOUR), pools: ['gpu-north'] })
    const results = await Promise.all([post({ ...big, name: 'first' }), post({ ...big, name: 'second' })])
    expect(results.map(r => r.statusCode).sort()).toEqual([201, 409])
    expect(await count()).toBe(1)
  })

  test('the same Idempotency-Key sent twice at once makes one job', async () => {
    const results = await Promise.all([1, 2].map(() => post(body(), undefined, { 'idempotency-key': 'race' })))
    expect(results.map(r => r.statusCode).sort()).toEqual([200, 201])
    expect(new Set(results.map(r => r.json().id)).size).toBe(1)
    expect(await count()).toBe(1)
  })
})

describe('auth and tenants', () => {
  test('every /v1 route needs a valid key; scopes are enforced', async () => {
    expect((await t().app.inject({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(401)
    expect((await t().app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: 'Bearer gs_nope' } })).statusCode).toBe(401)
    expect((await post(body(), t().keys.aRead)).statusCode).toBe(403)
    expect(await count()).toBe(0)
  })

  test('a tenant never sees another tenant\'s jobs', async () => {
    const job = (await post(body())).json()
    const other = await t().app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: t().auth(t().keys.b) })
    expect(other.statusCode).toBe(404)
    expect(await count(t().keys.b)).toBe(0)
    const cancel = await t().app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel`, headers: t().auth(t().keys.b) })
    expect(cancel.statusCode).toBe(404)
  })
})

describe('reading and cancelling', () => {
  test('GET /v1/jobs/{id} shows the plan and the history of events', async () => {
    const job = (await post(body())).json()
    const res = await t().app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: t().auth(t().keys.aRead) })
    expect(res.statusCode).toBe(200)
    expect(res.json().events.map((e: { type: string, toState: string }) => e.toState)).toEqual(['pending', 'planned'])
  })

  test('GET /v1/jobs pages with a cursor, filters by state', async () => {
    for (let i = 0; i < 3; i++) {
      t().clock.now = NOW + i * 1000
      await post(body({ name: `j${i}` }))
    }
    const first = (await t().app.inject({ method: 'GET', url: '/v1/jobs?limit=2', headers: t().auth(t().keys.a) })).json()
    expect(first.jobs.map((j: { name: string }) => j.name)).toEqual(['j2', 'j1'])
    const second = (await t().app.inject({ method: 'GET', url: `/v1/jobs?limit=2&cursor=${first.nextCursor}`, headers: t().auth(t().keys.a) })).json()
    expect(second.jobs.map((j: { name: string }) => j.name)).toEqual(['j0'])
    expect(second.nextCursor).toBeNull()
    const cancelled = (await t().app.inject({ method: 'GET', url: '/v1/jobs?state=cancelled', headers: t().auth(t().keys.a) })).json()
    expect(cancelled.jobs).toEqual([])
    expect((await t().app.inject({ method: 'GET', url: '/v1/jobs?cursor=%%%', headers: t().auth(t().keys.a) })).statusCode).toBe(400)
  })

  test('cancel releases the reserved GPUs; cancelling twice is harmless', async () => {
    const big = body({ gpus: 8, durationMinutes: 20 * 60, deadline: iso(NOW + 24 * HOUR), pools: ['gpu-north'] })
    const job = (await post(big)).json()
    const res = await t().app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel`, headers: t().auth(t().keys.a) })
    expect(res.statusCode).toBe(200)
    expect(res.json().state).toBe('cancelled')
    const again = await t().app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel`, headers: t().auth(t().keys.a) })
    expect(again.json().state).toBe('cancelled')
    expect((await post({ ...big, name: 'after' })).statusCode).toBe(201)
    const unknown = await t().app.inject({ method: 'POST', url: '/v1/jobs/00000000-0000-4000-8000-000000000000/cancel', headers: t().auth(t().keys.a) })
    expect(unknown.statusCode).toBe(404)
  })
})

describe('POST /v1/quotes', () => {
  test('plans without storing, and lists the best option in each pool', async () => {
    const res = await t().app.inject({ method: 'POST', url: '/v1/quotes', payload: body(), headers: t().auth(t().keys.aRead) })
    expect(res.statusCode).toBe(200)
    expect(res.json().plan.expected.grams).toBe(160)
    expect(res.json().options.map((o: { pool: string, grams: number }) => [o.pool, o.grams])).toEqual([['gpu-north', 160], ['gpu-south', 400]])
    expect(await count()).toBe(0)
  })
})

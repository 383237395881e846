import { describe, expect, test } from 'vitest'
import { HOUR, NOW, iso, useTestApp } from '../support/app.js'

// The fixture pools: gpu-north, 8 A100-SXM4-80GB at 400 W; gpu-south, 4 L40S at 500 W; PUE 1.
const t = useTestApp()
const TIMEOUT = 30_000

const WORK = { parameters: 7e9, samples: 52_000, seqLen: 512, epochs: 1, method: 'lora' }

function body (over: Record<string, unknown> = {}) {
  return { name: 'lora-7b', command: ['train'], gpus: 1, work: WORK, deadline: iso(NOW + 30 * HOUR), ...over }
}

async function post (url: string, payload: object, key = t().keys.a) {
  return await t().app.inject({ method: 'POST', url, payload, headers: t().auth(key) })
}

async function addPool (name: string, gpuModel: string) {
  const pool = { name, zone: 'NORTH', gpuModel, gpuCount: 8, wattsPerGpu: 750, pue: 1, executor: { kind: 'agent' } }
  expect((await post('/v1/pools', pool, t().keys.operator)).statusCode).toBe(201)
}

describe('work in place of durationMinutes', () => {
  test('a job that gives work is planned at the speed of the pool it runs on, its duration the longest, and shows work and estimate', async () => {
    const res = await post('/v1/jobs', body())
    expect(res.statusCode).toBe(201)
    const job = res.json()
    // A100: 132.7 min, L40S: 114.4 min (see estimates.test.ts): the A100's, rounded up.
    expect(job.durationMinutes).toBe(133)
    expect(job.work).toEqual(WORK)
    expect(job.estimate).toMatchObject({ family: 'lora:7000000000', pool: 'gpu-north', method: 'estimated:flops', durationMinutes: { mid: 133 }, excluded: [] })
    expect(job.estimate.pools.map((p: { pool: string }) => p.pool)).toEqual(['gpu-north', 'gpu-south'])
    expect(job.estimate.energyKwh.mid).toBeCloseTo(0.885, 3)
    expect(job.pools).toEqual(['gpu-north', 'gpu-south'])
    // Each pool is planned with its own estimate: the window and energy of the pool chosen.
    const chosen = job.estimate.pools.find((p: { pool: string }) => p.pool === job.plan.pool)
    const segment = job.plan.segments[0]
    expect(Date.parse(segment.end) - Date.parse(segment.start)).toBe(Math.ceil(chosen.durationMinutes.mid) * 60_000)
    // …and the pool's estimated energy (which measured runs may have set), not its watts × that time.
    expect(job.plan.energyKwh).toBeCloseTo(chosen.energyKwh.mid, 3)
    const read = await t().app.inject({ method: 'GET', url: `/v1/jobs/${job.id as string}`, headers: t().auth(t().keys.a) })
    expect(read.json()).toMatchObject({ work: WORK, estimate: { pool: 'gpu-north', durationMinutes: { mid: 133 } } })
  }, TIMEOUT)

  test('work that fits its window only on its faster pool is accepted and planned there; on none, a 422 on work', async () => {
    // 120 minutes: the L40S's 114 fit, the A100's 133 do not.
    const res = await post('/v1/jobs', body({ notBefore: iso(NOW + HOUR), deadline: iso(NOW + 3 * HOUR) }))
    expect(res.statusCode).toBe(201)
    const job = res.json()
    expect(job.plan.pool).toBe('gpu-south')
    expect(Date.parse(job.plan.segments[0].end) - Date.parse(job.plan.segments[0].start)).toBe(114 * 60_000)
    expect(Date.parse(job.plan.latestSafeStart)).toBeGreaterThanOrEqual(NOW + HOUR)
    const tight = await post('/v1/jobs', body({ notBefore: iso(NOW + HOUR), deadline: iso(NOW + HOUR + 100 * 60_000) }))
    expect(tight.statusCode).toBe(422)
    expect(tight.json().errors).toEqual([expect.objectContaining({ field: 'work', message: expect.stringContaining('114 minutes (estimated, on the fastest allowed pool) do not fit') })])
  }, TIMEOUT)

  test('a job with durationMinutes shows null work and estimate', async () => {
    const res = await post('/v1/jobs', body({ work: undefined, durationMinutes: 60 }))
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ durationMinutes: 60, work: null, estimate: null })
  }, TIMEOUT)

  test('a quote takes work and answers the estimate it planned with', async () => {
    const res = await post('/v1/quotes', body())
    expect(res.statusCode).toBe(200)
    expect(res.json().estimate).toMatchObject({ pool: 'gpu-north', method: 'estimated:flops', durationMinutes: { mid: 133 } })
    const plain = await post('/v1/quotes', body({ work: undefined, durationMinutes: 60 }))
    expect(plain.json().estimate).toBeNull()
  }, TIMEOUT)

  test('a pool whose GPU model nothing can estimate is left out with its reason; none left is a 422', async () => {
    await addPool('mystery', 'MI300X')
    const res = await post('/v1/jobs', body({ pools: ['mystery', 'gpu-south'] }))
    expect(res.statusCode).toBe(201)
    expect(res.json().pools).toEqual(['gpu-south'])
    expect(res.json().estimate.excluded).toEqual([{ pool: 'mystery', reason: expect.stringMatching(/no peak FLOPS known for GPU model "MI300X"/) }])
    expect(res.json().plan.pool).toBe('gpu-south')
    const none = await post('/v1/jobs', body({ pools: ['mystery'] }))
    expect(none.statusCode).toBe(422)
    expect(none.json().errors).toEqual([{ field: 'work', message: expect.stringMatching(/cannot be estimated on any allowed pool: mystery/) }])
    const preferred = await post('/v1/jobs', body({ preferredPool: 'mystery' }))
    expect(preferred.statusCode).toBe(422)
    expect(preferred.json().errors[0].field).toBe('preferredPool')
  }, TIMEOUT)

  test('exactly one of durationMinutes and work, else a 422 naming the field; nothing stored', async () => {
    const cases: Array<[string, object, string]> = [
      ['both', body({ durationMinutes: 60 }), 'work'],
      ['neither', body({ work: undefined }), 'durationMinutes'],
      ['work without tokens', body({ work: { parameters: 7e9, method: 'lora' } }), 'work.tokens'],
      ['work too long for the deadline', body({ deadline: iso(NOW + HOUR) }), 'work']
    ]
    for (const [what, payload, field] of cases) {
      for (const url of ['/v1/jobs', '/v1/quotes']) {
        const res = await post(url, payload)
        expect(res.statusCode, `${what} ${url}`).toBe(422)
        expect(res.json().errors?.[0]?.field, `${what} ${url}`).toBe(field)
      }
    }
    const list = await t().app.inject({ method: 'GET', url: '/v1/jobs', headers: t().auth(t().keys.a) })
    expect(list.json().jobs).toEqual([])
  }, TIMEOUT)
})

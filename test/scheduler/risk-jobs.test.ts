import { expect, test } from 'vitest'
import { refreshStale } from '../../src/scheduler/forecasts.js'
import { iso, NOW, useTestApp } from '../support/app.js'
import { fakeGrid, HOUR } from './grid.js'

const t = useTestApp()

/** NORTH on a fake grid with a week of measured history and a 24-h forecast: planning past it is on the model. */
async function history () {
  const { deps } = t()
  deps.providers.set('NORTH', fakeGrid('grid', 'average', h => 200 + 100 * Math.sin((2 * Math.PI * (h - NOW)) / (24 * HOUR)) + ((h / HOUR) % 7) * 9))
  for (const h of [-168, -128, -88, -48, -8, 0]) await refreshStale(deps, NOW + h * HOUR)
}

const body = (over: Record<string, unknown>) => ({ name: 'train', command: ['train'], gpus: 1, durationMinutes: 120, deadline: iso(NOW + 60 * HOUR), pools: ['gpu-north'], ...over })

test('a job may be risk-averse: it is stored, shown, and its plan states the median with a p10–p90 band', async () => {
  await history()
  const { app, auth, keys } = t()
  const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(keys.a), payload: body({ risk: 'averse', notBefore: iso(NOW + 30 * HOUR) }) })
  expect(res.statusCode).toBe(201)
  const job = res.json()
  expect(job.risk).toBe('averse')
  expect(job.plan.expected.source).toMatch(/^model:greenshift-ew-profile@/)
  expect(job.plan.expected.band.p10).toBeLessThan(job.plan.expected.band.p90)
  expect(job.plan.expected.band.p10).toBeLessThanOrEqual(job.plan.expected.grams)
  expect(job.plan.expected.grams).toBeLessThanOrEqual(job.plan.expected.band.p90)
  const again = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: auth(keys.a) })
  expect(again.json()).toMatchObject({ risk: 'averse', plan: { expected: { band: job.plan.expected.band } } })
  // Without it, a job is neutral.
  const plain = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(keys.a), payload: body({}) })
  expect(plain.json().risk).toBe('neutral')
})

test('quotes take risk too, and each option states its band', async () => {
  await history()
  const { app, auth, keys } = t()
  const res = await app.inject({ method: 'POST', url: '/v1/quotes', headers: auth(keys.a), payload: body({ risk: 'averse', notBefore: iso(NOW + 30 * HOUR) }) })
  expect(res.statusCode).toBe(200)
  const option = res.json().options[0]
  expect(option.band.p10).toBeLessThanOrEqual(option.grams)
  expect(option.band.p90).toBeGreaterThanOrEqual(option.grams)
})

test('an unknown risk is a 400 naming the field, and nothing is stored', async () => {
  const { app, auth, keys } = t()
  const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(keys.a), payload: body({ risk: 'reckless' }) })
  expect(res.statusCode).toBe(400)
  expect(res.json().errors).toEqual([expect.objectContaining({ field: 'risk', message: expect.stringContaining('"neutral", "averse"') })])
  const list = await app.inject({ method: 'GET', url: '/v1/jobs', headers: auth(keys.a) })
  expect(list.json().jobs).toEqual([])
})

test('a zone\'s intensity past the provider\'s horizon is the model\'s forecast, each hour with its p10 and p90', async () => {
  await history()
  const { app, auth, keys } = t()
  t().clock.now = NOW
  const res = await app.inject({ method: 'GET', url: `/v1/zones/NORTH/intensity?from=${iso(NOW + 30 * HOUR)}&to=${iso(NOW + 40 * HOUR)}`, headers: auth(keys.a) })
  expect(res.statusCode).toBe(200)
  const points = res.json().points as Array<{ gPerKwh: number, p10: number, p90: number, kind: string }>
  expect(points).toHaveLength(10)
  for (const p of points) {
    expect(p.kind).toBe('forecast')
    expect(p.p10).toBeLessThanOrEqual(p.gPerKwh)
    expect(p.p90).toBeGreaterThanOrEqual(p.gPerKwh)
    expect(Math.round(p.gPerKwh * 10) / 10).toBe(p.gPerKwh)
  }
})

test('a freshly started service plans past the provider\'s horizon on the model at once: its first refresh stores the weeks it trains on', async () => {
  const { deps, app, auth, keys } = t()
  deps.providers.set('NORTH', fakeGrid('grid', 'average', h => 200 + 100 * Math.sin((2 * Math.PI * (h - NOW)) / (24 * HOUR))))
  await refreshStale(deps, NOW)
  t().clock.now = NOW
  const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(keys.a), payload: body({ notBefore: iso(NOW + 50 * HOUR), deadline: iso(NOW + 80 * HOUR) }) })
  expect(res.statusCode).toBe(201)
  expect(res.json().plan.expected).toMatchObject({ source: expect.stringMatching(/^model:greenshift-ew-profile@/), usesFallback: false, band: expect.any(Object) })
})

import { readFileSync } from 'node:fs'
import { MockAgent } from 'undici'
import { afterEach, expect, test } from 'vitest'
import { WattTimeProvider } from '../../src/providers/watttime.js'
import { refreshForecast } from '../../src/scheduler/forecasts.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()
const ORIGIN = 'https://api.watttime.org'
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/providers/watttime/${name}`, import.meta.url), 'utf8')

let agent: MockAgent | undefined
afterEach(async () => {
  await agent?.close()
  agent = undefined
})

/**
 * NORTH served by WattTime over a MockAgent: the docs' login, then the docs' forecast body (870
 * lbs/MWh, 5-minute points) moved to start at NOW and stretched to 48 h, 400 lbs/MWh from NOW + 4 h to NOW + 6 h.
 */
function wattTimeNorth (): void {
  const mock = new MockAgent()
  mock.disableNetConnect()
  agent = mock
  const body = JSON.parse(fixture('forecast.json')) as { data: Array<{ point_time: string, value: number }>, meta: Record<string, unknown> }
  body.data = Array.from({ length: 48 * 12 }, (_, i) => {
    const at = NOW + i * 5 * 60_000
    return { point_time: iso(at).replace('.000Z', '+00:00'), value: at >= NOW + 4 * HOUR && at < NOW + 6 * HOUR ? 400 : 870 }
  })
  mock.get(ORIGIN).intercept({ path: '/login' }).reply(200, fixture('login.json'))
  mock.get(ORIGIN).intercept({ path: p => p.startsWith('/v3/forecast?') }).reply(200, JSON.stringify(body))
  t().deps.providers.set('NORTH', new WattTimeProvider({ region: 'CAISO_NORTH', username: 'u', password: 'p', now: () => NOW, http: { dispatcher: mock } }))
}

test('a WattTime zone\'s plan says its figures are CO2 on marginal factors, from the fetch it rests on', async () => {
  wattTimeNorth()
  expect(await refreshForecast(t().deps, 'NORTH', NOW)).toBe(48 * 12)
  const res = await t().app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name: 'train', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 12 * HOUR), pools: ['gpu-north'] }
  })
  expect(res.statusCode).toBe(201)
  const plan = res.json().plan
  const labels = { signal: 'marginal', gas: 'co2', factorType: 'marginal', source: `watttime:CAISO_NORTH:co2_moer@${iso(NOW)}` }
  expect(plan.segments).toEqual([{ start: iso(NOW + 4 * HOUR), end: iso(NOW + 6 * HOUR) }])
  expect(plan.expected).toMatchObject(labels)
  expect(plan.baseline).toMatchObject(labels)
  expect(plan.expectedAvoided).toMatchObject(labels)

  const zones = await t().app.inject({ method: 'GET', url: '/v1/zones', headers: t().auth(t().keys.a) })
  const north = zones.json().find((z: { name: string }) => z.name === 'NORTH')
  expect(north).toMatchObject({ signal: 'marginal', gas: 'co2', factorType: 'marginal', forecast: { gas: 'co2', factorType: 'marginal', version: iso(NOW) } })
  // The csv zone: co2e/lifecycle by default, its version the file's content hash.
  const south = zones.json().find((z: { name: string }) => z.name === 'SOUTH')
  expect(south).toMatchObject({ signal: 'average', gas: 'co2e', factorType: 'lifecycle' })
  const intensity = await t().app.inject({ method: 'GET', url: `/v1/zones/NORTH/intensity?from=${iso(NOW)}&to=${iso(NOW + HOUR)}`, headers: t().auth(t().keys.a) })
  expect(intensity.json()).toMatchObject({ gas: 'co2', factorType: 'marginal', unit: 'gCO2/kWh', version: iso(NOW) })
})

test('a csv zone\'s plan names the file\'s content hash', async () => {
  const res = await t().app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name: 'train', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 12 * HOUR), pools: ['gpu-south'] }
  })
  expect(res.statusCode).toBe(201)
  expect(res.json().plan.expected).toMatchObject({ gas: 'co2e', factorType: 'lifecycle', source: expect.stringMatching(/^csv:south\.csv@sha256:[0-9a-f]{16}$/) })
  const zones = await t().app.inject({ method: 'GET', url: '/v1/zones', headers: t().auth(t().keys.a) })
  const south = zones.json().find((z: { name: string }) => z.name === 'SOUTH')
  expect(south.forecast.version).toBe(res.json().plan.expected.source.split('@')[1])
})

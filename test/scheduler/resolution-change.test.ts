import { readFileSync } from 'node:fs'
import { MockAgent } from 'undici'
import { afterEach, expect, test } from 'vitest'
import { CarbonIntensityUkProvider } from '../../src/providers/carbonintensity-uk.js'
import { ProviderChain } from '../../src/providers/chain.js'
import { refreshStale, REFRESH_MS } from '../../src/scheduler/forecasts.js'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { tick } from '../../src/scheduler/tick.js'
import { insertIntensityPoints, storedIntensity } from '../../src/store/intensity.js'
import { getLedger } from '../../src/store/ledger.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { runPlannedJob } from '../support/ledger.js'

const t = useTestApp()
const ORIGIN = 'https://api.carbonintensity.org.uk'
/** The recorded national fw24h body: 49 half-hours from 2020-05-21T20:30Z, the first ending at the `from` asked for. */
const RECORDED = readFileSync(new URL('../fixtures/providers/carbonintensity-uk/intensity-fw24h.json', import.meta.url), 'utf8')
const RECORDED_FROM = Date.parse('2020-05-21T21:00Z')
const STAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z/g

/** The recorded body with every period moved so that the first one ends at `from` (as the API answers). */
function bodyFrom (from: number): string {
  return RECORDED.replace(STAMP, s => new Date(Date.parse(s) + from - RECORDED_FROM).toISOString().slice(0, 16) + 'Z')
}

let agent: MockAgent | undefined
afterEach(async () => { await agent?.close(); agent = undefined })

/**
 * NORTH as a chain: UK Carbon Intensity (30-minute points, served from the recorded body over a
 * MockAgent) and then the zone's hourly csv. `uk.down = true` makes the UK API answer 500.
 */
function ukThenHourly () {
  const { deps } = t()
  const mock = new MockAgent()
  mock.disableNetConnect()
  agent = mock
  const uk = { down: false }
  mock.get(ORIGIN).intercept({ path: p => /^\/intensity\/[^/]+\/fw48h$/.test(p), method: 'GET' }).reply(opts => {
    if (uk.down) return { statusCode: 500, data: '{"error":{"code":"500 Internal Server Error","message":"test outage"}}' }
    const from = Date.parse(opts.path.split('/')[2] ?? '')
    return { statusCode: 200, data: bodyFrom(from), responseOptions: { headers: { 'content-type': 'application/json' } } }
  }).persist()
  const ukProvider = new CarbonIntensityUkProvider({ region: 'national', http: { dispatcher: mock, retries: 0 } })
  const hourly = deps.providers.get('NORTH')!
  deps.providers.set('NORTH', new ProviderChain({ members: [{ provider: ukProvider, region: 'national' }, { provider: hourly, region: 'north.csv' }] }))
  return uk
}

const job = (name: string) => ({ name, command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 20 * HOUR), pools: ['gpu-north'] })

test('after a 30-minute provider falls over to an hourly one, quotes, submissions and the tick still plan', async () => {
  const { deps, app, auth, keys, clock } = t()
  const uk = ukThenHourly()
  expect(await refreshStale(deps, NOW)).toBe(2)
  const first = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(keys.a), payload: job('before') })
  expect(first.statusCode).toBe(201)
  expect(first.json().plan.expected.source).toMatch(/^carbonintensity-uk:national@\d{4}-/)

  uk.down = true
  clock.now = NOW + REFRESH_MS
  expect(await refreshStale(deps, clock.now)).toBe(2)
  expect(deps.zoneStatus.get('NORTH')?.lastError).toBeNull()

  const quote = await app.inject({ method: 'POST', url: '/v1/quotes', headers: auth(keys.a), payload: job('quote') })
  expect(quote.statusCode).toBe(200)
  expect(quote.json().plan.expected.source).toContain('csv')
  const second = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(keys.a), payload: job('after') })
  expect(second.statusCode).toBe(201)
  expect(second.json()).toMatchObject({ state: 'planned' })
  // The next pass fetches again (the hourly csv answers) and re-plans the waiting jobs on the mixed store.
  expect(await tick(deps, 'test', NOW + 2 * REFRESH_MS, 180_000)).toMatchObject({ leader: true, refreshedZones: 2, failed: 0, errors: [] })
  for (const res of [first, second]) {
    const again = await app.inject({ method: 'GET', url: `/v1/jobs/${res.json().id}`, headers: auth(keys.a) })
    expect(again.json().state).toBe('planned')
  }
})

/** NORTH actuals as one fetch stores them: `minutes`-long points from `from` to `to`, valued by `value`. */
async function storeActuals (from: number, to: number, minutes: number, value: (start: number) => number, fetchedAt: number, source: string) {
  const rows = []
  for (let start = from; start < to; start += minutes * 60_000) {
    rows.push({ zone: 'NORTH', start, end: start + minutes * 60_000, gPerKwh: value(start), kind: 'actual' as const, signal: 'average' as const, source, fetchedAt })
  }
  await insertIntensityPoints(t().deps.store.db, rows)
}

test('actuals stored at 30 minutes and then hourly price a ledger on the newest fetch, naming only the sources used', async () => {
  const { deps, app, auth, keys } = t()
  const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(keys.a), payload: { ...job('ledger'), deadline: iso(NOW + 30 * HOUR), pools: undefined, preferredPool: 'gpu-north' } })
  expect(res.json().plan.segments[0].start).toBe(iso(NOW + 8 * HOUR))
  await runPlannedJob(deps, res.json().id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR })
  // 30-minute actuals (280 and 320 by turns, 300 on average) fetched first; hourly ones at 120 for the run's hours later.
  await storeActuals(NOW, NOW + 12 * HOUR, 30, s => (s / 1_800_000) % 2 === 0 ? 280 : 320, NOW + 11 * HOUR, 'carbonintensity-uk:national')
  await storeActuals(NOW + 8 * HOUR, NOW + 12 * HOUR, 60, () => 120, NOW + 12 * HOUR, 'replay:zones-2022')
  expect(await refreshLedgers(deps, NOW + 12 * HOUR)).toEqual({ computed: 1, final: 1, skipped: 0, failed: 0 })
  // 2 GPUs × 400 W for 2 h = 1.6 kWh: at 120 g/kWh (the newer hourly fetch) 192 g; at once, at 300 on average, 480 g.
  expect(await getLedger(deps.store.db, res.json().id)).toMatchObject({
    provisional: false,
    // Each source names its version: for rows fetched from an API, the newest fetch they rest on.
    actual: { grams: expect.closeTo(192, 6), source: `actual:replay:zones-2022@${new Date(NOW + 12 * HOUR).toISOString()}` },
    baseline: { grams: expect.closeTo(480, 6), source: expect.stringMatching(/^actual:carbonintensity-uk:national@\d{4}-\d\d-\d\dT[\d:.]+Z$/) }
  })
  const { points, sources } = await storedIntensity(deps.store.db, 'NORTH', 'actual', NOW, NOW + 12 * HOUR)
  expect(sources).toEqual(['carbonintensity-uk:national', 'replay:zones-2022'])
  expect(points.every(p => p.end - p.start === HOUR)).toBe(true)
  expect(points.slice(0, 1).concat(points.slice(8, 9))).toEqual([{ start: NOW, end: NOW + HOUR, gPerKwh: 300 }, { start: NOW + 8 * HOUR, end: NOW + 9 * HOUR, gPerKwh: 120 }])
})

test('after the fall, the zone\'s intensity reads one series on the hourly grid, never overlapping', async () => {
  const { deps, app, auth, keys, clock } = t()
  const uk = ukThenHourly()
  await refreshStale(deps, NOW)
  uk.down = true
  clock.now = NOW + REFRESH_MS
  await refreshStale(deps, clock.now)
  const res = await app.inject({ method: 'GET', url: `/v1/zones/NORTH/intensity?from=${iso(NOW + HOUR)}&to=${iso(NOW + 40 * HOUR)}`, headers: auth(keys.a) })
  expect(res.statusCode).toBe(200)
  const points = res.json().points.map((p: { start: string, end: string }) => [Date.parse(p.start), Date.parse(p.end)])
  expect(points.every(([s, e]: number[], i: number) => e! > s! && (i === 0 || s === points[i - 1][1]))).toBe(true)
  expect(points.every(([s, e]: number[]) => e! - s! === HOUR)).toBe(true)
  expect(res.json().source).toBe('csv:north.csv')
})

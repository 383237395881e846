import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { HOUR_MS } from '../../src/core/types.js'
import { ElectricityMapsProvider, type ElectricityMapsOptions } from '../../src/providers/electricitymaps.js'
import { ProviderError } from '../../src/providers/provider.js'

const ORIGIN = 'https://api.electricitymap.org'
const TOKEN = 'em-test-token-5f3a9c'
const utc = (iso: string): number => Date.parse(iso)
/** A recorded body from test/fixtures/providers/electricitymaps/ (copied from shared/fixtures). */
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/providers/electricitymaps/${name}`, import.meta.url), 'utf8')
const HISTORY = fixture('carbon-intensity-history.json')

interface Seen { path: string, query: Record<string, string>, headers: Record<string, string> }

let agent: MockAgent

/** A MockAgent that records every request; `reply` queues one answer for paths under `route`. */
function server () {
  agent = new MockAgent()
  agent.disableNetConnect()
  const seen: Seen[] = []
  const sleeps: number[] = []
  const reply = (route: string, status: number, body: string, headers: Record<string, string> = {}, origin = ORIGIN) =>
    agent.get(origin).intercept({ path: p => p.startsWith(route) }).reply(opts => {
      const url = new URL(opts.path, origin)
      seen.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), headers: { ...opts.headers as Record<string, string> } })
      return { statusCode: status, data: body, responseOptions: { headers: { 'content-type': 'application/json', ...headers } } }
    })
  const provider = (o: Partial<ElectricityMapsOptions> & { now: () => number }) => new ElectricityMapsProvider({
    region: 'DE', token: TOKEN, ...o, http: { dispatcher: agent, sleep: async (ms: number) => { sleeps.push(ms) }, random: () => 0.5, ...o.http }
  })
  return { seen, sleeps, reply, provider }
}

/** The ProviderError a call rejects with; its message and stack never hold the token. */
async function failure (call: Promise<unknown>): Promise<ProviderError> {
  const err = await call.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`)
  expect(`${err.message} ${err.stack ?? ''}`).not.toContain(TOKEN)
  return err
}

afterEach(async () => {
  agent.assertNoPendingInterceptors()
  await agent.close()
})

describe('ElectricityMapsProvider forecast', () => {
  it('parses the docs forecast body into hourly average points, sending the token only in auth-token', async () => {
    const { seen, reply, provider } = server()
    reply('/v3/carbon-intensity/forecast', 200, fixture('carbon-intensity-forecast.json'))
    const em = provider({ region: 'DK-DK2', now: () => utc('2018-11-26T17:25:24Z') })
    const from = utc('2018-11-26T17:00:00Z')
    const series = await em.forecast('DK-east', from, from + 72 * HOUR_MS)
    expect(series).toEqual({
      zone: 'DK-east',
      signal: 'average',
      gas: 'co2e',
      factorType: 'lifecycle',
      source: 'electricitymaps:DK-DK2:lifecycle',
      points: [
        { start: from, end: from + HOUR_MS, gPerKwh: 326 },
        { start: from + HOUR_MS, end: from + 2 * HOUR_MS, gPerKwh: 297 },
        { start: from + 48 * HOUR_MS, end: from + 49 * HOUR_MS, gPerKwh: 194 }
      ]
    })
    expect(seen).toEqual([{
      path: '/v3/carbon-intensity/forecast',
      query: { zone: 'DK-DK2', emissionFactorType: 'lifecycle', shouldUseFallbackCallerLookup: 'false', horizonHours: '72' },
      headers: { accept: 'application/json', 'auth-token': TOKEN }
    }])
    expect(em.signal).toBe('average')
  })

  it.each([[20, undefined], [24, undefined], [30, '48'], [48, '48'], [60, '72'], [200, '72']])(
    'asks for the default 24 h or the next of 48/72 h: %i h ahead → horizonHours %s', async (hours, horizon) => {
      const { seen, reply, provider } = server()
      reply('/v3/carbon-intensity/forecast', 200, fixture('carbon-intensity-forecast.json'))
      const now = utc('2018-11-26T17:00:00Z')
      await provider({ region: 'DK-DK2', now: () => now }).forecast('DK-DK2', now, now + hours * HOUR_MS)
      expect(seen[0]?.query.horizonHours).toBe(horizon)
    })

  it('refuses a body for another zone, as the IP fallback would send, naming provider and zone', async () => {
    const { reply, provider } = server()
    reply('/v3/carbon-intensity/forecast', 200, fixture('carbon-intensity-forecast.json'))
    const err = await failure(provider({ now: () => utc('2018-11-26T17:00:00Z') }).forecast('DE', 0, utc('2018-11-27T00:00:00Z')))
    expect([err.code, err.provider, err.zone]).toEqual(['bad-data', 'electricitymaps', 'DE'])
    expect(err.message).toMatch(/^electricitymaps \(zone DE, region DE\) forecast: the body is for zone "DK-DK2"/)
  })

  it('honours a configured base URL with a path prefix (a proxy)', async () => {
    const { seen, reply, provider } = server()
    reply('/em/v3/carbon-intensity/forecast', 200, '{"zone":"DE","forecast":[]}', {}, 'https://proxy.test')
    const now = utc('2024-03-06T12:00:00Z')
    await provider({ baseUrl: 'https://proxy.test/em/', now: () => now }).forecast('DE', now, now + HOUR_MS)
    expect(seen[0]?.path).toBe('/em/v3/carbon-intensity/forecast')
  })
})

describe('ElectricityMapsProvider actuals', () => {
  const NOW = utc('2024-03-06T19:48:27Z')

  it('reads the last 24 h from history, clipped to the range, estimated hours included', async () => {
    const { seen, reply, provider } = server()
    reply('/v3/carbon-intensity/history', 200, HISTORY)
    const from = utc('2024-03-06T00:30:00Z')
    const series = await provider({ now: () => NOW }).actuals('DE', from, utc('2024-03-06T03:00:00Z'))
    expect(series.points).toEqual([
      { start: from, end: utc('2024-03-06T01:00:00Z'), gPerKwh: 623 },
      { start: utc('2024-03-06T01:00:00Z'), end: utc('2024-03-06T02:00:00Z'), gPerKwh: 636 },
      { start: utc('2024-03-06T02:00:00Z'), end: utc('2024-03-06T03:00:00Z'), gPerKwh: 628 }
    ])
    expect(series.source).toBe('electricitymaps:DE:lifecycle')
    expect(seen.map(s => [s.path, s.query])).toEqual([['/v3/carbon-intensity/history', { zone: 'DE', emissionFactorType: 'lifecycle', shouldUseFallbackCallerLookup: 'false' }]])
    reply('/v3/carbon-intensity/history', 200, HISTORY)
    const all = await provider({ now: () => NOW }).actuals('DE', utc('2024-03-05T20:00:00Z'), NOW)
    expect(all.points).toHaveLength(24)
    expect(all.points.at(-1)).toEqual({ start: utc('2024-03-06T19:00:00Z'), end: NOW, gPerKwh: 689 })
  })

  it('skips a null carbonIntensity as a gap (derived from the recorded history body)', async () => {
    const { reply, provider } = server()
    const body = JSON.parse(HISTORY) as { history: Array<{ carbonIntensity: number | null }> }
    const row = body.history[5]
    if (row !== undefined) row.carbonIntensity = null
    reply('/v3/carbon-intensity/history', 200, JSON.stringify(body))
    const series = await provider({ now: () => NOW }).actuals('DE', utc('2024-03-05T20:00:00Z'), NOW)
    expect(series.points).toHaveLength(23)
    expect(series.points.map(p => p.start)).not.toContain(utc('2024-03-06T01:00:00Z'))
  })

  it('never mixes emission factors: a direct provider refuses the lifecycle rows', async () => {
    const { reply, provider } = server()
    reply('/v3/carbon-intensity/history', 200, HISTORY)
    const em = provider({ emissionFactorType: 'direct', now: () => NOW })
    expect(em.source).toBe('electricitymaps:DE:direct')
    const err = await failure(em.actuals('DE', utc('2024-03-06T00:00:00Z'), NOW))
    expect(err.code).toBe('bad-data')
    expect(err.message).toContain('history[0].emissionFactorType is "lifecycle", asked for direct')
  })

  it('labels what it returns: CO2-equivalents, with the emission factor type asked for and answered', async () => {
    const { reply, provider } = server()
    reply('/v3/carbon-intensity/history', 200, HISTORY.replaceAll('"lifecycle"', '"direct"'))
    const em = provider({ emissionFactorType: 'direct', now: () => NOW })
    const series = await em.actuals('DE', utc('2024-03-06T00:00:00Z'), NOW)
    expect(series).toMatchObject({ signal: 'average', gas: 'co2e', factorType: 'direct' })
    expect(series.points.length).toBeGreaterThan(0)
    expect([em.gas, em.factorType, provider({ now: () => NOW }).factorType]).toEqual(['co2e', 'direct', 'lifecycle'])
  })

  it('chunks older ranges into past-range calls of at most 10 days, up to now, keeping each point once', async () => {
    const { seen, reply, provider } = server()
    for (let i = 0; i < 3; i++) reply('/v3/carbon-intensity/past-range', 200, fixture('carbon-intensity-past-range.json'))
    const em = provider({ region: 'DK-DK2', now: () => utc('2024-03-26T00:00:00Z') })
    const series = await em.actuals('DK-DK2', utc('2024-03-01T00:30:00Z'), utc('2024-03-28T00:00:00Z'))
    expect(seen.map(s => [s.query.start, s.query.end])).toEqual([
      ['2024-03-01T00:00:00.000Z', '2024-03-11T00:00:00.000Z'],
      ['2024-03-11T00:00:00.000Z', '2024-03-21T00:00:00.000Z'],
      ['2024-03-21T00:00:00.000Z', '2024-03-26T00:00:00.000Z']
    ])
    expect(seen.every(s => s.path === '/v3/carbon-intensity/past-range' && s.query.shouldUseFallbackCallerLookup === 'false')).toBe(true)
    expect(series.points).toEqual([
      { start: utc('2024-03-18T02:00:00Z'), end: utc('2024-03-18T03:00:00Z'), gPerKwh: 161 },
      { start: utc('2024-03-18T03:00:00Z'), end: utc('2024-03-18T04:00:00Z'), gPerKwh: 167 }
    ])
  })

  it.each(['', '{}', '{"zone":"DE","history":[]}'])('takes an empty 200 (%j) as no data', async body => {
    const { reply, provider } = server()
    reply('/v3/carbon-intensity/history', 200, body)
    expect((await provider({ now: () => NOW }).actuals('DE', NOW - HOUR_MS, NOW)).points).toEqual([])
  })

  it('makes no request for an empty range', async () => {
    const em = server().provider({ now: () => NOW })
    expect((await em.actuals('DE', NOW, NOW)).points).toEqual([])
    expect((await em.forecast('DE', NOW, NOW - HOUR_MS)).points).toEqual([])
  })
})

describe('ElectricityMapsProvider failures', () => {
  const NOW = utc('2024-03-06T19:48:27Z')
  const history = (mutate: (row: Record<string, unknown>) => void): string => {
    const body = JSON.parse(HISTORY) as { history: Array<Record<string, unknown>> }
    if (body.history[2] !== undefined) mutate(body.history[2])
    return JSON.stringify(body)
  }

  it.each([
    ['not JSON', '<html>upstream error</html>', /body is not JSON/],
    ['history not a list', '{"zone":"DE","history":{}}', /"history" is not a list/],
    ['a datetime without a zone', history(r => { r.datetime = '2024-03-05T22:00:00' }), /history\[2\]\.datetime "2024-03-05T22:00:00" is not an ISO 8601 time with a zone/],
    ['an intensity as text', history(r => { r.carbonIntensity = '599' }), /history\[2\]\.carbonIntensity "599" is not a non-negative number/],
    ['a negative intensity', history(r => { r.carbonIntensity = -1 }), /history\[2\]\.carbonIntensity -1/],
    ['an unknown granularity', '{"zone":"DE","temporalGranularity":"weekly","history":[]}', /unknown temporalGranularity "weekly"/]
  ])('refuses a malformed body (%s) with bad-data naming provider and zone, returning nothing', async (_, body, message) => {
    const { reply, provider } = server()
    reply('/v3/carbon-intensity/history', 200, body)
    const err = await failure(provider({ now: () => NOW }).actuals('DE', NOW - HOUR_MS, NOW))
    expect([err.code, err.provider, err.zone]).toEqual(['bad-data', 'electricitymaps', 'DE'])
    expect(err.message).toMatch(/^electricitymaps \(zone DE/)
    expect(err.message).toMatch(message)
  })

  it('maps the recorded 401 body to unauthorized at once, without retrying or leaking the token', async () => {
    const { seen, sleeps, reply, provider } = server()
    reply('/v3/carbon-intensity/history', 401, fixture('error-401-invalid-auth-token.json'))
    const err = await failure(provider({ now: () => NOW }).actuals('DE', NOW - HOUR_MS, NOW))
    expect(err.code).toBe('unauthorized')
    expect(err.message).toContain('HTTP 401: {"error":"Invalid auth-token"}')
    expect([seen.length, sleeps]).toEqual([1, []])
  })

  it('retries a 429 after the Retry-After it was given', async () => {
    const { seen, sleeps, reply, provider } = server()
    reply('/v3/carbon-intensity/history', 429, '{"error":"Too many requests"}', { 'retry-after': '7' })
    reply('/v3/carbon-intensity/history', 200, HISTORY)
    const series = await provider({ now: () => NOW }).actuals('DE', NOW - HOUR_MS, NOW)
    expect(series.points).toHaveLength(2)
    expect([seen.length, sleeps]).toEqual([2, [7000]])
  })

  it('retries 5xx with jittered backoff (0.5 × 500, 1000, 2000 ms), then fails unavailable', async () => {
    const { seen, sleeps, reply, provider } = server()
    for (let i = 0; i < 4; i++) reply('/v3/carbon-intensity/history', 503, 'Service Unavailable')
    const err = await failure(provider({ now: () => NOW }).actuals('DE', NOW - HOUR_MS, NOW))
    expect(err.code).toBe('unavailable')
    expect([seen.length, sleeps]).toEqual([4, [250, 500, 1000]])
  })

  it('times out an answer slower than timeoutMs, per attempt', async () => {
    const { reply, provider } = server()
    for (let i = 0; i < 2; i++) reply('/v3/carbon-intensity/history', 200, HISTORY).delay(500)
    const em = provider({ now: () => NOW, http: { timeoutMs: 20, retries: 1 } })
    const err = await failure(em.actuals('DE', NOW - HOUR_MS, NOW))
    expect(err.code).toBe('timeout')
    expect(err.message).toContain('no answer within 20 ms')
  })

  it('keeps the token out of logs of the provider itself', () => {
    const em = server().provider({ now: () => NOW })
    expect(inspect(em)).not.toContain(TOKEN)
    expect(JSON.stringify(em)).not.toContain(TOKEN)
  })
})

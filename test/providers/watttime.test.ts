import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { HOUR_MS, MINUTE_MS } from '../../src/core/types.js'
import { ProviderError } from '../../src/providers/provider.js'
import { G_PER_KWH_PER_LBS_PER_MWH, WattTimeProvider, type WattTimeOptions } from '../../src/providers/watttime.js'

const ORIGIN = 'https://api.watttime.org'
const USER = 'greenshift-ci'
const PASSWORD = 'pa55-w0rd-7d1e'
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`
/** The token in the docs' login example (fixtures/providers/watttime/login.json). */
const TOKEN = 'abcdef0123456789fedcabc'
const T0 = Date.parse('2022-07-15T00:00:00Z')
const FIVE_MIN = 5 * MINUTE_MS
/** A recorded body from test/fixtures/providers/watttime/ (copied from shared/fixtures). */
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/providers/watttime/${name}`, import.meta.url), 'utf8')
const FORECAST = fixture('forecast.json')
const HISTORICAL = fixture('historical.json')

interface Body { data: Array<Record<string, unknown>>, meta: Record<string, unknown> }
/** A variant of a recorded body, changed in code so the change is visible in the test. */
const derived = (text: string, change: (body: Body) => void): string => {
  const body = JSON.parse(text) as Body
  change(body)
  return JSON.stringify(body)
}

interface Seen { path: string, query: Record<string, string>, authorization: string | undefined }

let agent: MockAgent

/**
 * A MockAgent that records every request; `reply` queues one answer for paths under `route`. The
 * docs' login answer is queued first unless `login` is false.
 */
function server (login = true) {
  agent = new MockAgent()
  agent.disableNetConnect()
  const seen: Seen[] = []
  const sleeps: number[] = []
  const clock = { now: T0 }
  const reply = (route: string, status: number, body: string, headers: Record<string, string> = {}) =>
    agent.get(ORIGIN).intercept({ path: p => p.split('?')[0] === route }).reply(opts => {
      const url = new URL(opts.path, ORIGIN)
      const authorization = (opts.headers as Record<string, string> | undefined)?.authorization
      seen.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), authorization })
      return { statusCode: status, data: body, responseOptions: { headers } }
    })
  const provider = (o: Partial<WattTimeOptions> = {}) => new WattTimeProvider({
    region: 'CAISO_NORTH', username: USER, password: PASSWORD, now: () => clock.now, ...o,
    http: { dispatcher: agent, sleep: async (ms: number) => { sleeps.push(ms) }, random: () => 0.5, ...o.http }
  })
  const logins = () => seen.filter(s => s.path === '/login').length
  if (login) reply('/login', 200, fixture('login.json'))
  return { seen, sleeps, clock, reply, provider, logins }
}

/** The ProviderError a call rejects with; its message and stack hold no credential or token. */
async function failure (call: Promise<unknown>): Promise<ProviderError> {
  const err = await call.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`)
  for (const secret of [USER, PASSWORD, BASIC.slice(6), TOKEN]) expect(`${err.message} ${err.stack ?? ''}`).not.toContain(secret)
  return err
}

afterEach(async () => {
  agent.assertNoPendingInterceptors()
  await agent.close()
})

describe('WattTimeProvider data', () => {
  it('logs in with Basic auth, then reads the docs forecast as marginal g/kWh in 5-minute points', async () => {
    const { seen, reply, provider } = server()
    reply('/v3/forecast', 200, FORECAST)
    const series = await provider().forecast('US-CA-N', T0, T0 + 24 * HOUR_MS)
    expect(seen).toEqual([
      { path: '/login', query: {}, authorization: BASIC },
      { path: '/v3/forecast', query: { region: 'CAISO_NORTH', signal_type: 'co2_moer', horizon_hours: '24' }, authorization: `Bearer ${TOKEN}` }
    ])
    // lbs of CO2 per MWh: CO2 alone, never labelled CO2e; the MOER is a marginal factor.
    expect([series.zone, series.signal, series.gas, series.factorType, series.source]).toEqual(['US-CA-N', 'marginal', 'co2', 'marginal', 'watttime:CAISO_NORTH:co2_moer'])
    expect(series.points).toHaveLength(288)
    expect([series.points[0], series.points.at(-1)?.end, G_PER_KWH_PER_LBS_PER_MWH])
      .toEqual([{ start: T0, end: T0 + FIVE_MIN, gPerKwh: 870 * 0.45359237 }, T0 + 24 * HOUR_MS, 0.45359237])
    // 870 lbs/MWh = 870 × 453.59237 g / 1,000 kWh = 394.6253619 g/kWh.
    expect(series.points[0]?.gPerKwh).toBeCloseTo(394.6254, 4)
  })

  it.each([[1, '24'], [30, '30'], [72, '72'], [100, '72']])('asks for %i h ahead as horizon_hours=%s (24 to 72)', async (hours, asked) => {
    const { seen, reply, provider } = server()
    reply('/v3/forecast', 200, FORECAST)
    await provider().forecast('US-CA-N', T0, T0 + hours * HOUR_MS)
    expect(seen[1]?.query.horizon_hours).toBe(asked)
  })

  it('reads the docs historical body, converting 870 and 860 lbs/MWh to 394.6254 and 390.0894 g/kWh', async () => {
    const { seen, reply, provider, clock } = server()
    clock.now = T0 + 24 * HOUR_MS
    reply('/v3/historical', 200, HISTORICAL)
    const wt = provider()
    const series = await wt.actuals('US-CA-N', T0 + 2 * MINUTE_MS, T0 + 10 * MINUTE_MS)
    expect(seen[1]?.query).toEqual({ region: 'CAISO_NORTH', signal_type: 'co2_moer', start: '2022-07-15T00:00:00Z', end: '2022-07-15T00:10:00Z' })
    expect(series.points.map(p => [p.start - T0, p.end - T0])).toEqual([[2 * MINUTE_MS, FIVE_MIN], [FIVE_MIN, 2 * FIVE_MIN]])
    expect(series.points[0]?.gPerKwh).toBeCloseTo(394.6254, 4)
    expect(series.points[1]?.gPerKwh).toBeCloseTo(390.0894, 4)
    // Ten minutes of 0 lbs/MWh is a plausible MOER (curtailment), not the outage signature.
    reply('/v3/historical', 200, derived(HISTORICAL, b => { for (const p of b.data) p.value = 0 }))
    expect((await wt.actuals('US-CA-N', T0, T0 + 10 * MINUTE_MS)).points.map(p => p.gPerKwh)).toEqual([0, 0])
  })

  it('chunks 66 days into 30-day inclusive queries up to now and keeps a boundary point once', async () => {
    const { seen, reply, provider, clock } = server()
    clock.now = Date.parse('2022-08-20T00:00:00Z')
    reply('/v3/historical', 200, HISTORICAL)
    // The second query starts at 00:05, its inclusive start: the recorded 00:05 point comes back again.
    reply('/v3/historical', 200, derived(HISTORICAL, b => { b.data = b.data.slice(1) }))
    reply('/v3/historical', 200, derived(HISTORICAL, b => { b.data = [] }))
    const series = await provider().actuals('US-CA-N', Date.parse('2022-06-15T00:05:00Z'), Date.parse('2022-08-21T00:00:00Z'))
    expect(seen.slice(1).map(s => [s.query.start, s.query.end])).toEqual([
      ['2022-06-15T00:05:00Z', '2022-07-15T00:05:00Z'],
      ['2022-07-15T00:05:00Z', '2022-08-14T00:05:00Z'],
      ['2022-08-14T00:05:00Z', '2022-08-20T00:00:00Z']
    ])
    expect(series.points.map(p => p.start)).toEqual([T0, T0 + FIVE_MIN])
  })

  it('takes co2_aoer as the average signal, and refuses a signal that is not a CO2 intensity', () => {
    const { provider } = server(false)
    const aoer = provider({ signalType: 'co2_aoer' })
    // The AOER averages the plants' operating (combustion) emissions: CO2 alone, a direct factor.
    expect([aoer.signal, aoer.gas, aoer.factorType, aoer.source]).toEqual(['average', 'co2', 'direct', 'watttime:CAISO_NORTH:co2_aoer'])
    expect(() => provider({ signalType: 'health_damage' })).toThrow(/signalType "health_damage" is not a CO2 intensity/)
  })

  it.each(['', '{}', derived(FORECAST, b => { b.data = [] })])('takes an empty 200 as no data', async body => {
    const { reply, provider } = server()
    reply('/v3/forecast', 200, body)
    expect((await provider().forecast('US-CA-N', T0, T0 + HOUR_MS)).points).toEqual([])
  })
})

describe('WattTimeProvider token', () => {
  it('caches the token for its 30-minute life, renewing it a minute early (at 29.5 min)', async () => {
    const { reply, provider, clock, logins } = server()
    for (let i = 0; i < 3; i++) reply('/v3/forecast', 200, FORECAST)
    reply('/login', 200, fixture('login.refreshed.synthetic.json'))
    const wt = provider()
    await wt.forecast('US-CA-N', T0, T0 + HOUR_MS)
    clock.now += 28 * MINUTE_MS
    await wt.forecast('US-CA-N', T0, T0 + HOUR_MS)
    expect(logins()).toBe(1)
    clock.now += 1.5 * MINUTE_MS
    await wt.forecast('US-CA-N', T0, T0 + HOUR_MS)
    expect(logins()).toBe(2)
  })

  it('shares one login between concurrent calls', async () => {
    const { reply, provider, logins } = server()
    for (let i = 0; i < 2; i++) reply('/v3/forecast', 200, FORECAST)
    const wt = provider()
    await Promise.all([wt.forecast('US-CA-N', T0, T0 + HOUR_MS), wt.forecast('US-CA-N', T0, T0 + HOUR_MS)])
    expect(logins()).toBe(1)
  })

  it('logs in again once on a 401 and retries the call with the new token', async () => {
    const { seen, reply, provider } = server()
    reply('/v3/forecast', 401, '{"error":"token expired"}')
    reply('/login', 200, fixture('login.refreshed.synthetic.json'))
    reply('/v3/forecast', 200, FORECAST)
    const series = await provider().forecast('US-CA-N', T0, T0 + HOUR_MS)
    expect(series.points).toHaveLength(12)
    expect(seen.map(s => `${s.path} ${s.authorization ?? ''}`)).toEqual([
      `/login ${BASIC}`, `/v3/forecast Bearer ${TOKEN}`, `/login ${BASIC}`, '/v3/forecast Bearer refreshed0123456789abcdef'
    ])
  })

  it('gives up as unauthorized when the fresh token is refused too, naming no secret', async () => {
    const { reply, provider, logins } = server()
    reply('/v3/forecast', 401, '')
    reply('/login', 200, fixture('login.json'))
    reply('/v3/forecast', 401, '')
    const err = await failure(provider().forecast('US-CA-N', T0, T0 + HOUR_MS))
    expect([err.code, err.provider, err.zone, logins()]).toEqual(['unauthorized', 'watttime', 'US-CA-N', 2])
    expect(err.message).toContain('HTTP 401 even with a fresh token')
  })

  it('reports a refused login (recorded nginx 403) as unauthorized without the credentials', async () => {
    const { reply, provider } = server(false)
    reply('/login', 403, fixture('error-403-nginx.html'), { 'content-type': 'text/html' })
    const err = await failure(provider().forecast('US-CA-N', T0, T0 + HOUR_MS))
    expect(err.code).toBe('unauthorized')
    expect(err.message).toMatch(/^watttime \(zone US-CA-N\) GET https:\/\/api\.watttime\.org\/login: HTTP 403/)
  })

  it('refuses a login answer without a token, and does not quote it', async () => {
    const { reply, provider } = server(false)
    reply('/login', 200, fixture('error.docs-example.json'))
    const err = await failure(provider().forecast('US-CA-N', T0, T0 + HOUR_MS))
    expect([err.code, err.message.includes('INVALID_QUERY_PARAMS')]).toEqual(['bad-data', false])
  })

  it('keeps the credentials out of logs of the provider itself', () => {
    const wt = server(false).provider()
    expect(`${inspect(wt)} ${JSON.stringify(wt)}`).not.toMatch(new RegExp(`${USER}|${PASSWORD}`))
  })
})

describe('WattTimeProvider failures', () => {
  it.each([
    ['the signal-index percentile', fixture('signal-index.json'), 'bad-data', /meta\.units is "percentile": a \/v3\/signal-index rank \(0–100\), not an intensity/],
    ['other units', derived(FORECAST, b => { b.meta.units = 'kg_co2_per_mwh' }), 'bad-data', /meta\.units is "kg_co2_per_mwh", expected "lbs_co2_per_mwh"/],
    ['another region', derived(FORECAST, b => { b.meta.region = 'PJM_NJ' }), 'bad-data', /meta\.region is "PJM_NJ"/],
    ['another signal', derived(FORECAST, b => { b.meta.signal_type = 'co2_aoer' }), 'bad-data', /meta\.signal_type is "co2_aoer"/],
    ['no point period', derived(FORECAST, b => { delete b.meta.data_point_period_seconds }), 'bad-data', /data_point_period_seconds/],
    ['a time without a zone', derived(FORECAST, b => { b.data[3] = { point_time: '2022-07-15T00:15:00', value: 870 } }), 'bad-data', /data\[3\] is not/],
    ['a value as text', derived(FORECAST, b => { b.data[4] = { point_time: '2022-07-15T00:20:00+00:00', value: '870' } }), 'bad-data', /data\[4\] is not/],
    ['no meta', '{"data":[]}', 'bad-data', /lacks "data" and "meta"/],
    ['not JSON', '<html>bad gateway</html>', 'bad-data', /body is not JSON/],
    ['all zeros (the outage signature)', derived(FORECAST, b => { for (const p of b.data) p.value = 0 }), 'unavailable', /all 288 values are 0/]
  ])('refuses %s, naming provider and zone, returning nothing', async (_, body, code, message) => {
    const { reply, provider } = server()
    reply('/v3/forecast', 200, body)
    const err = await failure(provider().forecast('US-CA-N', T0, T0 + HOUR_MS))
    expect([err.code, err.provider, err.zone]).toEqual([code, 'watttime', 'US-CA-N'])
    expect(err.message).toMatch(message)
  })

  it('retries a 429 after the Retry-After it was given (WattTime: 3,000 requests per 5 minutes)', async () => {
    const { seen, sleeps, reply, provider } = server()
    reply('/v3/forecast', 429, '{"error":"rate limited"}', { 'retry-after': '12' })
    reply('/v3/forecast', 200, FORECAST)
    await provider().forecast('US-CA-N', T0, T0 + HOUR_MS)
    expect([seen.length, sleeps]).toEqual([3, [12_000]])
  })

  it('retries 5xx three times, then fails unavailable', async () => {
    const { seen, sleeps, reply, provider } = server()
    for (let i = 0; i < 4; i++) reply('/v3/historical', 502, 'Bad Gateway')
    const err = await failure(provider().actuals('US-CA-N', T0 - HOUR_MS, T0))
    expect([err.code, seen.length, sleeps]).toEqual(['unavailable', 5, [250, 500, 1000]])
  })

  it('times out a slow answer', async () => {
    const { reply, provider } = server()
    reply('/v3/forecast', 200, FORECAST).delay(500)
    const err = await failure(provider({ http: { timeoutMs: 20, retries: 0 } }).forecast('US-CA-N', T0, T0 + HOUR_MS))
    expect([err.code, err.message]).toEqual(['timeout', expect.stringContaining('no answer within 20 ms')])
  })
})

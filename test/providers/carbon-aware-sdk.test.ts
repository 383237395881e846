import { readFileSync } from 'node:fs'
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { HOUR_MS, MINUTE_MS, type Signal } from '../../src/core/types.js'
import { sdkTimeSpan } from '../../src/providers/carbon-aware-sdk-parse.js'
import { CarbonAwareSdkProvider } from '../../src/providers/carbon-aware-sdk.js'
import type { HttpOptions } from '../../src/providers/http.js'
import { ProviderError } from '../../src/providers/provider.js'

const BASE = 'http://carbon-aware.internal:8080'
const DAY_MS = 24 * HOUR_MS
const utc = (iso: string): number => Date.parse(iso)
const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/providers/carbon-aware-sdk/${name}`, import.meta.url), 'utf8')
const JSON_HEADERS = { headers: { 'content-type': 'application/json; charset=utf-8' } }
const forecasts = (p: string): boolean => p.startsWith('/emissions/forecasts/current?')
const bylocation = (p: string): boolean => p.startsWith('/emissions/bylocation?')
/** The docs' forecast window: 2022-07-19 14:00 UTC onwards, 10-minute points. */
const F0 = utc('2022-07-19T14:00:00Z')

let agent: MockAgent | undefined
afterEach(async () => {
  await agent?.close()
  agent = undefined
})

/** A provider over a MockAgent that refuses the network. */
function setup (region = 'northeurope', signal?: Signal, http: Partial<HttpOptions> = {}) {
  const mock = new MockAgent({ enableCallHistory: true })
  mock.disableNetConnect()
  agent = mock
  const sleeps: number[] = []
  const provider = new CarbonAwareSdkProvider({
    region,
    baseUrl: `${BASE}/`,
    ...(signal === undefined ? {} : { signal }),
    http: { dispatcher: mock, sleep: async ms => { sleeps.push(ms) }, random: () => 0.5, ...http }
  })
  const calls = () => mock.getCallHistory()?.calls() ?? []
  return { pool: mock.get(BASE), provider, sleeps, calls }
}

async function failure (p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`)
  return err
}

describe('CarbonAwareSdkProvider forecast', () => {
  const EXPECTED = [
    { start: F0, end: F0 + 10 * MINUTE_MS, gPerKwh: 532.02293146 },
    { start: utc('2022-07-20T04:25:00Z'), end: utc('2022-07-20T04:35:00Z'), gPerKwh: 535.7318741001667 }
  ]

  it('reads the docs\' body (singular optimalDataPoint): timestamp + duration minutes, g/kWh as reported', async () => {
    const { pool, provider, calls } = setup()
    pool.intercept({ path: forecasts }).reply(200, fixture('emissions-forecasts-current.docs-example.synthetic.json'), JSON_HEADERS)
    const series = await provider.forecast('IE', F0, F0 + DAY_MS)
    expect(series).toEqual({ zone: 'IE', signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: 'carbon-aware-sdk:northeurope', points: EXPECTED })
    // The whole current forecast is asked for and clipped here: dataStartAt/dataEndAt outside the
    // forecast are a 400, and windowSize would turn points into rolling means.
    expect(calls()[0]?.path).toBe('/emissions/forecasts/current')
    expect(calls()[0]?.searchParams).toEqual({ location: 'northeurope' })
  })

  it('reads the DTO\'s optimalDataPoints list into the same series, labelled marginal when configured', async () => {
    const { pool, provider } = setup('northeurope', 'marginal')
    pool.intercept({ path: forecasts }).reply(200, fixture('emissions-forecasts-current.optimalDataPoints.synthetic.json'), JSON_HEADERS)
    const series = await provider.forecast('IE', F0, F0 + DAY_MS)
    expect(series).toEqual({ zone: 'IE', signal: 'marginal', gas: 'co2', factorType: 'marginal', source: 'carbon-aware-sdk:northeurope', points: EXPECTED })
  })

  it('clips to [from, to)', async () => {
    const { pool, provider } = setup()
    pool.intercept({ path: forecasts }).reply(200, fixture('emissions-forecasts-current.docs-example.synthetic.json'), JSON_HEADERS)
    const series = await provider.forecast('IE', F0 + 5 * MINUTE_MS, F0 + HOUR_MS)
    expect(series.points).toEqual([{ start: F0 + 5 * MINUTE_MS, end: F0 + 10 * MINUTE_MS, gPerKwh: 532.02293146 }])
  })

  it('rejects the docs\' verbatim example (invalid JSON: "...") as bad-data naming provider and zone', async () => {
    const { pool, provider } = setup()
    pool.intercept({ path: forecasts }).reply(200, fixture('emissions-forecasts-current.docs-example.txt'), JSON_HEADERS)
    const err = await failure(provider.forecast('IE', F0, F0 + DAY_MS))
    expect(err).toMatchObject({ code: 'bad-data', provider: 'carbon-aware-sdk', zone: 'IE' })
    expect(err.message).toMatch(/^carbon-aware-sdk \(zone IE\) GET http:\/\/carbon-aware\.internal:8080\/emissions\/forecasts\/current\?location=northeurope: body is not JSON/)
  })

  it('rejects a point without a duration in minutes', async () => {
    const { pool, provider } = setup()
    const body = JSON.parse(fixture('emissions-forecasts-current.docs-example.synthetic.json')) as Array<{ forecastData: Array<{ duration?: number }> }>
    delete body[0]?.forecastData[0]?.duration
    pool.intercept({ path: forecasts }).reply(200, JSON.stringify(body), JSON_HEADERS)
    expect((await failure(provider.forecast('IE', F0, F0 + DAY_MS))).message).toContain('[0].forecastData[0].duration is not a positive whole number of minutes')
  })

  it('returns an empty series for an empty list', async () => {
    const { pool, provider } = setup()
    pool.intercept({ path: forecasts }).reply(200, '[]', JSON_HEADERS)
    expect((await provider.forecast('IE', F0, F0 + DAY_MS)).points).toEqual([])
  })
})

describe('CarbonAwareSdkProvider actuals', () => {
  it('reads bylocation points with TimeSpan durations and offsets, cut to the window the SDK may ignore', async () => {
    const { pool, provider, calls } = setup('westeurope')
    pool.intercept({ path: bylocation }).reply(200, fixture('emissions-bylocation.synthetic.json'), JSON_HEADERS)
    const series = await provider.actuals('NL', utc('2022-07-19T14:00:00Z'), utc('2022-07-19T17:00:00Z'))
    expect(calls()[0]?.searchParams).toEqual({ location: 'westeurope', time: '2022-07-19T14:00:00.000Z', toTime: '2022-07-19T17:00:00.000Z' })
    expect(series).toMatchObject({ zone: 'NL', signal: 'average', source: 'carbon-aware-sdk:westeurope' })
    // 13:00 and 17:00 lie outside [14:00, 17:00); 11:00-04:00 is 15:00 UTC.
    expect(series.points.map(p => [new Date(p.start).toISOString(), p.end - p.start, p.gPerKwh])).toEqual([
      ['2022-07-19T14:00:00.000Z', HOUR_MS, 345.434], ['2022-07-19T15:00:00.000Z', HOUR_MS, 330.5], ['2022-07-19T16:00:00.000Z', HOUR_MS, 310]
    ])
  })

  it('refuses the docs\' bylocation example: its point has no duration, and none is guessed', async () => {
    const { pool, provider } = setup('eastus')
    pool.intercept({ path: bylocation }).reply(200, fixture('emissions-bylocation.docs-example.json'), JSON_HEADERS)
    const err = await failure(provider.actuals('US-E', utc('2022-05-17T20:00:00Z'), utc('2022-05-17T21:00:00Z')))
    expect(err).toMatchObject({ code: 'bad-data', zone: 'US-E' })
    expect(err.message).toContain('[0].duration is missing')
  })

  it('splits 25 days into ≤ 10-day requests and treats 204 as no data', async () => {
    const { pool, provider, calls } = setup('westeurope')
    pool.intercept({ path: bylocation }).reply(204, '').times(3)
    const series = await provider.actuals('NL', utc('2022-07-01T00:00:00Z'), utc('2022-07-26T00:00:00Z'))
    expect(series.points).toEqual([])
    expect(calls().map(c => [c.searchParams.time, c.searchParams.toTime])).toEqual([
      ['2022-07-01T00:00:00.000Z', '2022-07-11T00:00:00.000Z'],
      ['2022-07-11T00:00:00.000Z', '2022-07-21T00:00:00.000Z'],
      ['2022-07-21T00:00:00.000Z', '2022-07-26T00:00:00.000Z']
    ])
  })
})

describe('CarbonAwareSdkProvider errors', () => {
  it('turns a 400 ValidationProblemDetails into bad-data with its title, detail and errors, without retrying', async () => {
    const { pool, provider, calls } = setup()
    pool.intercept({ path: forecasts }).reply(400, fixture('error-400-validation.synthetic.json'), { headers: { 'content-type': 'application/problem+json' } })
    const err = await failure(provider.forecast('IE', F0, F0 + DAY_MS))
    expect(err.code).toBe('bad-data')
    expect(err.message).toContain('HTTP 400: ArgumentException — Invalid EmissionsForecast — dataStartAt: dataStartAt must be within time range')
    expect(calls()).toHaveLength(1)
  })

  it('turns a 501 (source cannot forecast) into unavailable at once', async () => {
    const { pool, provider, calls } = setup()
    pool.intercept({ path: forecasts }).reply(501, fixture('error-501.synthetic.json'), JSON_HEADERS)
    const err = await failure(provider.forecast('IE', F0, F0 + DAY_MS))
    expect(err.code).toBe('unavailable')
    expect(err.message).toContain('NotImplementedException')
    expect(calls()).toHaveLength(1)
  })

  it('retries 500s with backoff, then fails unavailable', async () => {
    const { pool, provider, calls, sleeps } = setup('northeurope', undefined, { retries: 2 })
    pool.intercept({ path: forecasts }).reply(500, fixture('error-500.synthetic.json'), JSON_HEADERS).times(3)
    const err = await failure(provider.forecast('IE', F0, F0 + DAY_MS))
    expect(err).toMatchObject({ code: 'unavailable', zone: 'IE' })
    expect(err.message).toContain('InternalServerError')
    expect(calls()).toHaveLength(3)
    expect(sleeps).toEqual([250, 500])
  })

  it('fails with timeout when the SDK does not answer within timeoutMs', async () => {
    const { pool, provider } = setup('northeurope', undefined, { timeoutMs: 20, retries: 0 })
    pool.intercept({ path: forecasts }).reply(200, '[]', JSON_HEADERS).delay(1_000)
    expect((await failure(provider.forecast('IE', F0, F0 + DAY_MS))).code).toBe('timeout')
  })

  it('stops when the caller aborts', async () => {
    const { provider } = setup()
    const err = await failure(provider.forecast('IE', F0, F0 + DAY_MS, AbortSignal.abort()))
    expect(err.message).toContain('aborted by the caller')
  })
})

describe('sdkTimeSpan', () => {
  it('reads .NET TimeSpan strings and refuses zero, missing and bare numbers', () => {
    const fail = (detail: string): never => { throw new Error(detail) }
    expect(sdkTimeSpan('00:05:00', 'd', fail)).toBe(5 * MINUTE_MS)
    expect(sdkTimeSpan('1.02:00:00', 'd', fail)).toBe(26 * HOUR_MS)
    expect(sdkTimeSpan('00:00:30.5000000', 'd', fail)).toBe(30_500)
    expect(() => sdkTimeSpan('00:00:00', 'd', fail)).toThrow(/zero/)
    expect(() => sdkTimeSpan(undefined, 'd', fail)).toThrow(/missing/)
    expect(() => sdkTimeSpan(5, 'd', fail)).toThrow(/TimeSpan/)
  })
})

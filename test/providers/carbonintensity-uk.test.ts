import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { HOUR_MS, MINUTE_MS } from '../../src/core/types.js'
import { CarbonIntensityUkProvider, parseUkRegion, ukChunks } from '../../src/providers/carbonintensity-uk.js'
import type { HttpOptions } from '../../src/providers/http.js'
import { ProviderError } from '../../src/providers/provider.js'

const ORIGIN = 'https://api.carbonintensity.org.uk'
const DAY_MS = 24 * HOUR_MS
const utc = (iso: string): number => Date.parse(iso)
const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/providers/carbonintensity-uk/${name}`, import.meta.url), 'utf8')
const JSON_HEADERS = { headers: { 'content-type': 'application/json' } }

let agent: MockAgent | undefined
afterEach(async () => {
  await agent?.close()
  agent = undefined
})

/** A provider over a MockAgent that refuses the network; `sleeps` records each backoff, `paths` each request. */
function setup (region = 'national', http: Partial<HttpOptions> = {}, baseUrl?: string) {
  const mock = new MockAgent({ enableCallHistory: true })
  mock.disableNetConnect()
  agent = mock
  const sleeps: number[] = []
  const provider = new CarbonIntensityUkProvider({
    region,
    ...(baseUrl === undefined ? {} : { baseUrl }),
    http: { dispatcher: mock, sleep: async ms => { sleeps.push(ms) }, random: () => 0.5, ...http }
  })
  const paths = (): string[] => mock.getCallHistory()?.calls().map(c => c.path) ?? []
  return { mock, pool: mock.get(ORIGIN), provider, sleeps, paths }
}

async function failure (p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`)
  return err
}

describe('CarbonIntensityUkProvider forecast', () => {
  it('reads the recorded fw24h body from fw48h: 30-minute average gCO2/kWh, the period ending at from dropped', async () => {
    const { pool, provider, paths } = setup()
    const from = utc('2020-05-21T21:00Z')
    pool.intercept({ path: '/intensity/2020-05-21T21:00Z/fw48h' }).reply(200, fixture('intensity-fw24h.json'), JSON_HEADERS)
    const series = await provider.forecast('GB', from, from + 48 * HOUR_MS)
    expect(paths()).toEqual(['/intensity/2020-05-21T21:00Z/fw48h'])
    expect(series).toMatchObject({ zone: 'GB', signal: 'average', source: 'carbonintensity-uk:national' })
    // 49 periods recorded, the first (20:30–21:00, 190 g) ends at `from`; the horizon ends after 24 h.
    expect(series.points).toHaveLength(48)
    expect(series.points[0]).toEqual({ start: from, end: from + 30 * MINUTE_MS, gPerKwh: 177 })
    expect(series.points.at(-1)).toEqual({ start: utc('2020-05-22T20:30Z'), end: from + DAY_MS, gPerKwh: 68 })
    expect(series.points.every(p => p.end - p.start === 30 * MINUTE_MS)).toBe(true)
    expect(series.points.every((p, i) => i === 0 || p.start === series.points[i - 1]?.end)).toBe(true)
  })

  it('asks from the half hour containing from and clips to [from, to)', async () => {
    const { pool, provider } = setup()
    pool.intercept({ path: '/intensity/2020-05-21T21:00Z/fw48h' }).reply(200, fixture('intensity-fw24h.json'), JSON_HEADERS)
    const series = await provider.forecast('GB', utc('2020-05-21T21:10Z'), utc('2020-05-21T22:15Z'))
    expect(series.points).toEqual([
      { start: utc('2020-05-21T21:10Z'), end: utc('2020-05-21T21:30Z'), gPerKwh: 177 },
      { start: utc('2020-05-21T21:30Z'), end: utc('2020-05-21T22:00Z'), gPerKwh: 161 },
      { start: utc('2020-05-21T22:00Z'), end: utc('2020-05-21T22:15Z'), gPerKwh: 143 }
    ])
  })

  it('uses the regionid route and reads the docs\' list-shaped regional body', async () => {
    const { pool, provider } = setup('3')
    pool.intercept({ path: '/regional/intensity/2018-01-20T12:00Z/fw48h/regionid/3' })
      .reply(200, fixture('regional-intensity-fw48h-regionid.synthetic.json'), JSON_HEADERS)
    const series = await provider.forecast('GB-NW', utc('2018-01-20T12:00Z'), utc('2018-01-20T13:00Z'))
    expect(series).toEqual({
      zone: 'GB-NW', signal: 'average', gas: 'co2', factorType: 'direct', source: 'carbonintensity-uk:3',
      points: [{ start: utc('2018-01-20T12:00Z'), end: utc('2018-01-20T12:30Z'), gPerKwh: 266 }]
    })
  })

  it('returns an empty series for the recorded 200 {} beyond the horizon (postcode route)', async () => {
    const { pool, provider } = setup('BS16')
    pool.intercept({ path: '/regional/intensity/2026-09-08T00:00Z/fw48h/postcode/BS16' })
      .reply(200, fixture('regional-fw48h-postcode.empty-200.json'), JSON_HEADERS)
    const series = await provider.forecast('GB-SW', utc('2026-09-08T00:00Z'), utc('2026-09-10T00:00Z'))
    expect(series).toEqual({ zone: 'GB-SW', signal: 'average', gas: 'co2', factorType: 'direct', source: 'carbonintensity-uk:BS16', points: [] })
  })

  it('rejects the docs\' invalid-JSON regional example as bad-data naming provider and zone', async () => {
    const { pool, provider } = setup('3')
    pool.intercept({ path: '/regional/intensity/2018-01-20T12:00Z/fw48h/regionid/3' })
      .reply(200, fixture('regional-intensity-fw48h-regionid.docs-example.txt'), JSON_HEADERS)
    const err = await failure(provider.forecast('GB-NW', utc('2018-01-20T12:00Z'), utc('2018-01-20T13:00Z')))
    expect(err).toMatchObject({ code: 'bad-data', provider: 'carbonintensity-uk', zone: 'GB-NW' })
    expect(err.message).toMatch(/^carbonintensity-uk \(zone GB-NW\) .*body is not JSON/)
  })

  it('rejects a value that is not a number as bad-data with its path', async () => {
    const { pool, provider } = setup()
    pool.intercept({ path: '/intensity/2020-09-19T11:30Z/fw48h' }).reply(200, fixture('intensity.bad-shape.synthetic.json'), JSON_HEADERS)
    const err = await failure(provider.forecast('GB', utc('2020-09-19T11:30Z'), utc('2020-09-19T12:00Z')))
    expect(err.code).toBe('bad-data')
    expect(err.message).toContain('data[0].intensity.forecast is not a non-negative number: "83"')
  })

  it('goes through a configured base URL with a path prefix', async () => {
    const { mock, provider, paths } = setup('national', {}, 'https://proxy.example/ci/')
    mock.get('https://proxy.example').intercept({ path: '/ci/intensity/2020-09-19T11:30Z/fw48h' }).reply(200, fixture('intensity.json'), JSON_HEADERS)
    const series = await provider.forecast('GB', utc('2020-09-19T11:30Z'), utc('2020-09-19T12:00Z'))
    expect(paths()).toEqual(['/ci/intensity/2020-09-19T11:30Z/fw48h'])
    expect(series.points).toEqual([{ start: utc('2020-09-19T11:30Z'), end: utc('2020-09-19T12:00Z'), gPerKwh: 83 }])
  })
})

describe('CarbonIntensityUkProvider actuals', () => {
  it('takes actual where present, else forecast, and drops the period ending at from', async () => {
    const { pool, provider, paths } = setup()
    pool.intercept({ path: '/intensity/2020-09-19T10:00Z/2020-09-19T12:00Z' }).reply(200, fixture('intensity-from-to.synthetic.json'), JSON_HEADERS)
    const series = await provider.actuals('GB', utc('2020-09-19T10:00Z'), utc('2020-09-19T12:00Z'))
    expect(paths()).toEqual(['/intensity/2020-09-19T10:00Z/2020-09-19T12:00Z'])
    expect(series.source).toBe('carbonintensity-uk:national')
    expect(series.points.map(p => p.gPerKwh)).toEqual([82, 84, 86, 83])
    expect(series.points[0]?.start).toBe(utc('2020-09-19T10:00Z'))
  })

  it('prefers the recorded actual (85) over the forecast (83)', async () => {
    const { pool, provider } = setup()
    pool.intercept({ path: '/intensity/2020-09-19T11:30Z/2020-09-19T12:00Z' }).reply(200, fixture('intensity.json'), JSON_HEADERS)
    const series = await provider.actuals('GB', utc('2020-09-19T11:30Z'), utc('2020-09-19T12:00Z'))
    expect(series.points).toEqual([{ start: utc('2020-09-19T11:30Z'), end: utc('2020-09-19T12:00Z'), gPerKwh: 85 }])
  })

  it('reads the recorded object-shaped postcode body, sending only the outward code', async () => {
    const { pool, provider, paths } = setup('bs7 8aa')
    pool.intercept({ path: '/regional/intensity/2023-01-01T00:00Z/2023-01-01T02:00Z/postcode/BS7' })
      .reply(200, fixture('regional-intensity-from-to-postcode.json'), JSON_HEADERS)
    const series = await provider.actuals('GB-SW', utc('2023-01-01T00:00Z'), utc('2023-01-01T02:00Z'))
    expect(paths()).toEqual(['/regional/intensity/2023-01-01T00:00Z/2023-01-01T02:00Z/postcode/BS7'])
    expect(series.source).toBe('carbonintensity-uk:BS7')
    // Regional periods carry no `actual`: forecasts; the 23:30 period (152) ends at `from`.
    expect(series.points.map(p => p.gPerKwh)).toEqual([181, 189, 183, 175])
  })

  it('splits 41 days into ≤ 14-day requests cut at 1 January, without counting the boundary period twice', async () => {
    const { pool, provider, paths } = setup('BS7')
    const route = (a: string, b: string): string => `/regional/intensity/${a}/${b}/postcode/BS7`
    const empty = fixture('intensity-date.empty.json')
    pool.intercept({ path: route('2022-12-10T00:00Z', '2022-12-24T00:00Z') }).reply(200, empty, JSON_HEADERS)
    pool.intercept({ path: route('2022-12-24T00:00Z', '2023-01-01T00:00Z') }).reply(200, fixture('regional-intensity-from-to-postcode.json'), JSON_HEADERS)
    pool.intercept({ path: route('2023-01-01T00:00Z', '2023-01-15T00:00Z') }).reply(200, fixture('regional-intensity-from-to-postcode.json'), JSON_HEADERS)
    pool.intercept({ path: route('2023-01-15T00:00Z', '2023-01-20T00:00Z') }).reply(200, empty, JSON_HEADERS)
    const series = await provider.actuals('GB-SW', utc('2022-12-10T00:00Z'), utc('2023-01-20T00:00Z'))
    expect(paths()).toEqual([
      route('2022-12-10T00:00Z', '2022-12-24T00:00Z'), route('2022-12-24T00:00Z', '2023-01-01T00:00Z'),
      route('2023-01-01T00:00Z', '2023-01-15T00:00Z'), route('2023-01-15T00:00Z', '2023-01-20T00:00Z')
    ])
    expect(series.points.map(p => [new Date(p.start).toISOString(), p.gPerKwh])).toEqual([
      ['2022-12-31T23:30:00.000Z', 152], ['2023-01-01T00:00:00.000Z', 181], ['2023-01-01T00:30:00.000Z', 189],
      ['2023-01-01T01:00:00.000Z', 183], ['2023-01-01T01:30:00.000Z', 175]
    ])
  })

  it('treats the recorded {"data":[]} and 200 {} as no data', async () => {
    const { pool, provider } = setup()
    pool.intercept({ path: '/intensity/2026-09-07T00:00Z/2026-09-08T00:00Z' }).reply(200, fixture('intensity-date.empty.json'), JSON_HEADERS)
    pool.intercept({ path: '/intensity/2026-09-08T00:00Z/2026-09-09T00:00Z' }).reply(200, fixture('regional-fw48h-postcode.empty-200.json'), JSON_HEADERS)
    expect((await provider.actuals('GB', utc('2026-09-07T00:00Z'), utc('2026-09-08T00:00Z'))).points).toEqual([])
    expect((await provider.actuals('GB', utc('2026-09-08T00:00Z'), utc('2026-09-09T00:00Z'))).points).toEqual([])
  })
})

describe('ukChunks', () => {
  it('covers any range with contiguous chunks of at most 14 days, none spanning 1 January', () => {
    fc.assert(fc.property(fc.integer({ min: utc('2018-05-10T23:30Z'), max: utc('2030-01-01T00:00Z') }), fc.integer({ min: 1, max: 400 * DAY_MS }), (from, span) => {
      const chunks = ukChunks(from, from + span)
      expect(chunks[0]?.[0]).toBe(from)
      expect(chunks.at(-1)?.[1]).toBe(from + span)
      chunks.forEach(([a, b], i) => {
        expect(b - a).toBeGreaterThan(0)
        expect(b - a).toBeLessThanOrEqual(14 * DAY_MS)
        expect(b).toBeLessThanOrEqual(Date.UTC(new Date(a).getUTCFullYear() + 1, 0, 1))
        if (i > 0) expect(a).toBe(chunks[i - 1]?.[1])
      })
    }))
  })
})

describe('CarbonIntensityUkProvider errors', () => {
  it('turns a 400 into bad-data carrying the API\'s code and message, without retrying', async () => {
    const { pool, provider, paths } = setup()
    pool.intercept({ path: '/intensity/2020-09-19T11:30Z/fw48h' }).reply(400, fixture('error-400.docs-example.json'), JSON_HEADERS)
    const err = await failure(provider.forecast('GB', utc('2020-09-19T11:30Z'), utc('2020-09-19T12:00Z')))
    expect(err).toMatchObject({ code: 'bad-data', provider: 'carbonintensity-uk', zone: 'GB' })
    expect(err.message).toMatch(/HTTP 400: 400 Bad Request: string$/)
    expect(paths()).toHaveLength(1)
  })

  it('retries the recorded outage 500 with backoff, then fails unavailable with the API\'s message', async () => {
    const { pool, provider, paths, sleeps } = setup('national', { retries: 3, baseDelayMs: 500 })
    pool.intercept({ path: '/intensity/2025-01-13T10:00Z/fw48h' }).reply(500, fixture('error-500.issue-19.json'), JSON_HEADERS).times(4)
    const err = await failure(provider.forecast('GB', utc('2025-01-13T10:00Z'), utc('2025-01-14T10:00Z')))
    expect(err.code).toBe('unavailable')
    expect(err.message).toContain('Requested resource not found.')
    expect(paths()).toHaveLength(4)
    expect(sleeps).toEqual([250, 500, 1000])
  })

  it('recovers when a 500 is followed by a 200', async () => {
    const { pool, provider } = setup()
    pool.intercept({ path: '/intensity/2020-09-19T11:30Z/fw48h' }).reply(500, fixture('error-500.issue-19.json'), JSON_HEADERS)
    pool.intercept({ path: '/intensity/2020-09-19T11:30Z/fw48h' }).reply(200, fixture('intensity.json'), JSON_HEADERS)
    const series = await provider.forecast('GB', utc('2020-09-19T11:30Z'), utc('2020-09-19T12:00Z'))
    expect(series.points).toHaveLength(1)
  })

  it('fails with timeout when the API does not answer within timeoutMs', async () => {
    const { pool, provider, paths } = setup('national', { timeoutMs: 20, retries: 1 })
    pool.intercept({ path: '/intensity/2020-09-19T11:30Z/fw48h' }).reply(200, fixture('intensity.json'), JSON_HEADERS).delay(1_000).times(2)
    const err = await failure(provider.forecast('GB', utc('2020-09-19T11:30Z'), utc('2020-09-19T12:00Z')))
    expect(err).toMatchObject({ code: 'timeout', zone: 'GB' })
    expect(paths()).toHaveLength(2)
  })

  it('refuses a non-finite range before any request', async () => {
    const { provider, paths } = setup()
    expect((await failure(provider.actuals('GB', Number.NaN, 0))).code).toBe('bad-range')
    expect(paths()).toEqual([])
  })
})

describe('parseUkRegion', () => {
  it('reads national, region ids 1..17 and postcodes (outward code only)', () => {
    expect(parseUkRegion('national')).toEqual({ kind: 'national' })
    expect(parseUkRegion('13')).toEqual({ kind: 'regionid', id: '13' })
    expect(parseUkRegion('RG10')).toEqual({ kind: 'postcode', outward: 'RG10' })
    expect(parseUkRegion('ox1 3qd')).toEqual({ kind: 'postcode', outward: 'OX1' })
    expect(parseUkRegion('SW1A1AA')).toEqual({ kind: 'postcode', outward: 'SW1A' })
    for (const bad of ['0', '18', 'X', '', 'GB', 'RG10 9X']) expect(parseUkRegion(bad)).toBeUndefined()
    expect(() => new CarbonIntensityUkProvider({ region: '18' })).toThrow(ProviderError)
  })
})

import { readFileSync } from 'node:fs'
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { MINUTE_MS } from '../../src/core/types.js'
import { EnergiDataServiceProvider } from '../../src/providers/energidataservice.js'
import type { HttpOptions } from '../../src/providers/http.js'
import { ProviderError } from '../../src/providers/provider.js'

const ORIGIN = 'https://api.energidataservice.dk'
const utc = (iso: string): number => Date.parse(iso)
const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/providers/energidataservice/${name}`, import.meta.url), 'utf8')
const JSON_HEADERS = { 'content-type': 'application/json' }
const emis = (path: string): boolean => path.startsWith('/dataset/CO2Emis?')
const prog = (path: string): boolean => path.startsWith('/dataset/CO2EmisProg?')

interface EdsRecord { Minutes5UTC: string, PriceArea: string, CO2Emission: number }
/** The recorded CO2Emis body's records, read without the code under test. */
const RECORDED = (JSON.parse(fixture('CO2Emis.json')) as { records: EdsRecord[] }).records
/** 2026-02-07 02:45–06:55 UTC: the 50 five-minute rows of the recording. */
const FROM = utc('2026-02-07T02:45:00Z')
const TO = utc('2026-02-07T06:55:00Z')

let agent: MockAgent | undefined
afterEach(async () => {
  await agent?.close()
  agent = undefined
})

/** A provider over a MockAgent that refuses the network, with a settable clock. */
function setup (region: 'DK1' | 'DK2' = 'DK1', http: Partial<HttpOptions> = {}, pageRows?: number) {
  const mock = new MockAgent({ enableCallHistory: true })
  mock.disableNetConnect()
  agent = mock
  const clock = { now: utc('2026-02-07T07:00:00Z') }
  const sleeps: number[] = []
  const provider = new EnergiDataServiceProvider({
    region,
    now: () => clock.now,
    ...(pageRows === undefined ? {} : { pageRows }),
    http: { dispatcher: mock, sleep: async ms => { sleeps.push(ms) }, random: () => 0.5, ...http }
  })
  const calls = () => mock.getCallHistory()?.calls() ?? []
  return { pool: mock.get(ORIGIN), provider, clock, sleeps, calls }
}

async function failure (p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`)
  return err
}

/** A page as a filtered, sorted query returns it, cut from the recorded DK1 rows. */
function page (rows: EdsRecord[], total: number): string {
  return JSON.stringify({ total, limit: rows.length, dataset: 'CO2Emis', records: rows })
}
const DK1_ASC = RECORDED.filter(r => r.PriceArea === 'DK1').reverse()

describe('EnergiDataServiceProvider actuals (CO2Emis)', () => {
  it('reads the recorded body: DK1 rows only, 5-minute g/kWh, zone-less Minutes5UTC read as UTC, sorted', async () => {
    const { pool, provider } = setup('DK1')
    pool.intercept({ path: emis }).reply(200, fixture('CO2Emis.json'), { headers: JSON_HEADERS })
    const series = await provider.actuals('DK-DK1', FROM, TO)
    expect(series).toMatchObject({ zone: 'DK-DK1', signal: 'average', gas: 'co2', factorType: 'direct', source: 'energidataservice:DK1' })
    expect(series.points).toEqual(DK1_ASC.map(r => {
      const start = Date.parse(`${r.Minutes5UTC}Z`)
      return { start, end: start + 5 * MINUTE_MS, gPerKwh: r.CO2Emission }
    }))
    expect(series.points).toHaveLength(50)
    expect(series.points[0]).toEqual({ start: FROM, end: FROM + 5 * MINUTE_MS, gPerKwh: 127 })
    expect(series.points.at(-1)?.start).toBe(utc('2026-02-07T06:50:00Z'))
  })

  it('asks with the PriceArea filter, ascending sort, an explicit limit, and a window that covers Danish local time', async () => {
    const { pool, provider, calls } = setup('DK1')
    pool.intercept({ path: emis }).reply(200, fixture('CO2Emis.json'), { headers: JSON_HEADERS })
    await provider.actuals('DK-DK1', FROM, TO)
    const call = calls()[0]
    expect(call?.path).toBe('/dataset/CO2Emis')
    // start/end are read as Danish time (UTC+1 in February): 02:45 local is 01:45 UTC and 08:55 local
    // is 07:55 UTC, a window around [02:45, 06:55) UTC in every season.
    expect(call?.searchParams).toEqual({
      start: '2026-02-07T02:45', end: '2026-02-07T08:55', filter: '{"PriceArea":["DK1"]}',
      sort: 'Minutes5UTC asc', offset: '0', limit: '10000'
    })
    expect(call?.fullUrl).toContain('sort=Minutes5UTC%20asc')
  })

  it('reads DK2 from the same body and clips to [from, to)', async () => {
    const { pool, provider } = setup('DK2')
    pool.intercept({ path: emis }).reply(200, fixture('CO2Emis.json'), { headers: JSON_HEADERS })
    const series = await provider.actuals('DK-DK2', utc('2026-02-07T06:40:00Z'), utc('2026-02-07T06:52:00Z'))
    expect(series.source).toBe('energidataservice:DK2')
    expect(series.points.map(p => [new Date(p.start).toISOString(), p.end - p.start, p.gPerKwh])).toEqual([
      ['2026-02-07T06:40:00.000Z', 5 * MINUTE_MS, 31], ['2026-02-07T06:45:00.000Z', 5 * MINUTE_MS, 31], ['2026-02-07T06:50:00.000Z', 2 * MINUTE_MS, 31]
    ])
  })

  it('pages with offset until total is read', async () => {
    const { pool, provider, calls } = setup('DK1', {}, 20)
    for (const offset of [0, 20, 40]) {
      pool.intercept({ path: p => emis(p) && p.includes(`offset=${offset}&`) })
        .reply(200, page(DK1_ASC.slice(offset, offset + 20), 50), { headers: { ...JSON_HEADERS, RemainingCalls: String(39 - offset / 20), TotalCalls: '40' } })
    }
    const series = await provider.actuals('DK-DK1', FROM, TO)
    expect(calls().map(c => c.searchParams.offset)).toEqual(['0', '20', '40'])
    expect(series.points).toHaveLength(50)
  })
})

describe('EnergiDataServiceProvider forecast (CO2EmisProg)', () => {
  it('reads CO2EmisProg rows (synthetic: none was ever recorded)', async () => {
    const { pool, provider, calls } = setup('DK2')
    pool.intercept({ path: prog }).reply(200, fixture('CO2EmisProg.synthetic.json'), { headers: JSON_HEADERS })
    const series = await provider.forecast('DK-DK2', utc('2026-02-07T07:00:00Z'), utc('2026-02-07T16:00:00Z'))
    expect(calls()[0]?.searchParams.filter).toBe('{"PriceArea":["DK2"]}')
    expect(series).toMatchObject({ signal: 'average', source: 'energidataservice:DK2' })
    // The prognosis ends after an hour here: the series ends early and the planner falls back.
    expect(series.points).toHaveLength(12)
    expect(series.points[0]).toEqual({ start: utc('2026-02-07T07:00:00Z'), end: utc('2026-02-07T07:05:00Z'), gPerKwh: 58 })
    expect(series.points.at(-1)?.end).toBe(utc('2026-02-07T08:00:00Z'))
  })

  it('returns an empty series for no records', async () => {
    const { pool, provider } = setup('DK1')
    pool.intercept({ path: prog }).reply(200, fixture('CO2EmisProg.empty.synthetic.json'), { headers: JSON_HEADERS })
    expect((await provider.forecast('DK-DK1', FROM, TO)).points).toEqual([])
  })
})

describe('EnergiDataServiceProvider RemainingCalls', () => {
  it('after RemainingCalls 0, returns the data but refuses the next read for the quota window without calling', async () => {
    const { pool, provider, clock, calls } = setup('DK1')
    pool.intercept({ path: emis }).reply(200, fixture('CO2Emis.json'), { headers: { ...JSON_HEADERS, RemainingCalls: '0', TotalCalls: '40' } }).times(2)
    expect((await provider.actuals('DK-DK1', FROM, TO)).points).toHaveLength(50)
    clock.now += 30_000
    const err = await failure(provider.actuals('DK-DK1', FROM, TO))
    expect(err).toMatchObject({ code: 'rate-limited', provider: 'energidataservice', zone: 'DK-DK1', retryAfterMs: 30_000 })
    expect(err.message).toContain('RemainingCalls is 0 of 40')
    expect(calls()).toHaveLength(1)
    clock.now += 30_000
    expect((await provider.actuals('DK-DK1', FROM, TO)).points).toHaveLength(50)
    expect(calls()).toHaveLength(2)
  })

  it('stops paging when the calls left cannot finish the read', async () => {
    const { pool, provider, calls } = setup('DK1', {}, 10)
    pool.intercept({ path: emis }).reply(200, page(DK1_ASC.slice(0, 10), 50), { headers: { ...JSON_HEADERS, RemainingCalls: '2', TotalCalls: '40' } })
    const err = await failure(provider.actuals('DK-DK1', FROM, TO))
    expect(err.code).toBe('rate-limited')
    expect(err.message).toContain('RemainingCalls is 2 of 40 and 4 more request(s) are needed')
    expect(calls()).toHaveLength(1)
  })

  it('honours Retry-After on a 429, and after 429s outlast the retries pauses instead of hammering', async () => {
    const { pool, provider, sleeps, calls } = setup('DK1', { retries: 1 })
    pool.intercept({ path: emis }).reply(429, 'Too Many Requests', { headers: { 'retry-after': '7' } })
    pool.intercept({ path: emis }).reply(200, fixture('CO2Emis.json'), { headers: JSON_HEADERS })
    expect((await provider.actuals('DK-DK1', FROM, TO)).points).toHaveLength(50)
    expect(sleeps).toEqual([7_000])
    pool.intercept({ path: emis }).reply(429, 'Too Many Requests', { headers: { 'retry-after': '1' } }).times(2)
    expect((await failure(provider.actuals('DK-DK1', FROM, TO))).code).toBe('rate-limited')
    expect((await failure(provider.actuals('DK-DK1', FROM, TO))).message).toContain('RemainingCalls is 0')
    expect(calls()).toHaveLength(4)
  })
})

describe('EnergiDataServiceProvider errors', () => {
  it('turns the recorded plain-text 400 into bad-data carrying the text, without retrying', async () => {
    const { pool, provider, calls } = setup('DK1')
    pool.intercept({ path: emis }).reply(400, fixture('error-400-invalid-period.txt'), { headers: { 'content-type': 'text/plain; charset=utf-8' } })
    const err = await failure(provider.actuals('DK-DK1', FROM, TO))
    expect(err).toMatchObject({ code: 'bad-data', provider: 'energidataservice', zone: 'DK-DK1' })
    expect(err.message).toMatch(/^energidataservice \(zone DK-DK1\) GET https:\/\/api\.energidataservice\.dk\/dataset\/CO2Emis\?.*: HTTP 400: Invalid period specified$/)
    expect(calls()).toHaveLength(1)
  })

  it('retries 500s with backoff, then fails unavailable', async () => {
    const { pool, provider, calls, sleeps } = setup('DK1', { retries: 2 })
    pool.intercept({ path: emis }).reply(500, 'Internal Server Error').times(3)
    expect((await failure(provider.actuals('DK-DK1', FROM, TO))).code).toBe('unavailable')
    expect(calls()).toHaveLength(3)
    expect(sleeps).toEqual([250, 500])
  })

  it('rejects a truncated body and a string CO2Emission as bad-data', async () => {
    const { pool, provider } = setup('DK1')
    pool.intercept({ path: emis }).reply(200, fixture('CO2Emis.json').slice(0, 300), { headers: JSON_HEADERS })
    pool.intercept({ path: emis }).reply(200, fixture('CO2Emis.bad-shape.synthetic.json'), { headers: JSON_HEADERS })
    expect((await failure(provider.actuals('DK-DK1', FROM, TO))).message).toContain('body is not JSON')
    const err = await failure(provider.actuals('DK-DK1', FROM, TO))
    expect(err).toMatchObject({ code: 'bad-data', zone: 'DK-DK1' })
    expect(err.message).toContain('records[0].CO2Emission is not a non-negative number: "127.000000"')
  })

  it('fails with timeout when the API does not answer within timeoutMs', async () => {
    const { pool, provider } = setup('DK1', { timeoutMs: 20, retries: 0 })
    pool.intercept({ path: emis }).reply(200, fixture('CO2Emis.json'), { headers: JSON_HEADERS }).delay(1_000)
    expect((await failure(provider.actuals('DK-DK1', FROM, TO))).code).toBe('timeout')
  })

  it('refuses a region other than DK1 or DK2', () => {
    expect(() => new EnergiDataServiceProvider({ region: 'DK3' as 'DK1' })).toThrow(/not DK1 or DK2/)
  })
})

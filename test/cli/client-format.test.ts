import { describe, expect, test } from 'vitest'
import { endpointOf, labels, UsageError } from '../../src/cli/client/args.js'
import type { QuoteBody } from '../../src/cli/client/api-types.js'
import { age, change, kg, table } from '../../src/cli/client/format.js'
import { quoteText, window } from '../../src/cli/client/format-plan.js'
import { problemLine } from '../../src/cli/client/http.js'
import { monthSpan } from '../../src/cli/client/report.js'

describe('figures for people', () => {
  test('kilograms with the precision the figure has; grams under 10 g', () => {
    expect([510, 14_600, 320_000, 9_990, 4.25, 0].map(kg)).toEqual(['0.51 kg', '14.6 kg', '320 kg', '9.99 kg', '4.3 g', '0 g'])
  })

  test('change with a true minus sign, CATS-style', () => {
    expect(change(510, 14_600)).toBe('−97 %')
    expect(change(110, 100)).toBe('+10 %')
    expect(change(100, 100)).toBe('±0 %')
    expect(change(5, 0)).toBe('')
  })

  test('ages', () => {
    expect([30, 720, 3 * 3600 + 300, 7200, 50 * 3600, 72 * 3600].map(age)).toEqual(['30 s', '12 min', '3 h 5 min', '2 h', '2 d 2 h', '3 d'])
  })

  test('tables align by characters, not bytes, and cut trailing spaces', () => {
    expect(table([['A', 'BB'], ['ééé', '–'], ['x', '']])).toBe('A    BB\nééé  –\nx\n')
  })

  test('a window names the end date only when it differs', () => {
    expect(window('2026-11-23T18:00:00Z', '2026-11-23T20:00:00Z')).toBe('2026-11-23 18:00Z → 20:00Z')
    expect(window('2026-11-23T23:00:00Z', '2026-11-24T01:00:00Z')).toBe('2026-11-23 23:00Z → 2026-11-24 01:00Z')
  })
})

const figure = { signal: 'marginal', gas: 'co2', factorType: 'marginal', source: 'watttime:SE@1', method: 'expected', usesFallback: false } as const
const quote: QuoteBody = {
  estimate: null,
  plan: {
    pool: 'h100-se',
    zone: 'SE-SE3',
    segments: [{ start: '2026-12-03T01:00:00.000Z', end: '2026-12-03T07:00:00.000Z' }],
    latestSafeStart: '2026-12-04T02:50:00.000Z',
    energyKwh: 24,
    expected: { ...figure, grams: 510 },
    baseline: { ...figure, grams: 14_600, pool: 'h100-de', start: '2026-12-02T10:00:00.000Z', rule: 'home' },
    expectedAvoided: { grams: 14_090, percent: 96.5, signal: 'marginal', gas: 'co2', factorType: 'marginal', source: 'watttime:SE@1' },
    plannedAt: '2026-12-02T10:00:00.000Z'
  },
  options: [
    { pool: 'h100-se', zone: 'SE-SE3', start: '2026-12-03T01:00:00.000Z', grams: 510, band: { p10: 510, p90: 510 }, gas: 'co2', factorType: 'marginal', usesFallback: false },
    { pool: 'h100-de', zone: 'DE', start: '2026-12-03T11:00:00.000Z', grams: 9_800, band: { p10: 8_100, p90: 12_400 }, gas: 'co2', factorType: 'marginal', usesFallback: true }
  ]
}

describe('quoteText', () => {
  test('one line per pool, best first, against starting now; names the signal and what submit would plan', () => {
    expect(quoteText(quote, 'best start per pool:')).toBe([
      'best start per pool:',
      'start 2026-12-03 01:00Z on h100-se (SE-SE3) · 0.51 kg vs 14.6 kg now (−97 %)',
      'start 2026-12-03 11:00Z on h100-de (DE) · 9.80 kg [p10–p90 8.10–12.4 kg] vs 14.6 kg now (−33 %) · partly beyond the forecast',
      'CO2 on marginal intensity (marginal factors); "now" is starting at once on h100-de (the tenant\'s home pool)',
      'submit would plan: h100-se from 2026-12-03 01:00Z (latest safe start 2026-12-04 02:50Z)',
      ''
    ].join('\n'))
  })
})

describe('problemLine', () => {
  const problem = (o: object) => JSON.stringify({ type: 'x', title: 'Unprocessable Content', status: 422, ...o })

  test('title, detail, and each field with the flag that set it', () => {
    const text = problem({ detail: 'pools[1]: unknown pool "nope"', errors: [{ field: 'pools[1]', message: 'unknown pool' }, { field: 'colour', message: 'x' }] })
    expect(problemLine('POST', '/v1/jobs', 422, text, { pools: '--pool' }))
      .toBe('POST /v1/jobs: 422 Unprocessable Content: pools[1]: unknown pool "nope" (field pools[1], from --pool; field colour)')
  })

  test('an answer that is no problem is shown by its status and first words; a 401 points at the key', () => {
    expect(problemLine('GET', '/v1/zones', 502, '<html>\n<h1>Bad Gateway</h1></html>', {})).toBe('GET /v1/zones: 502 server error: <html> <h1>Bad Gateway</h1></html>')
    expect(problemLine('GET', '/v1/zones', 401, JSON.stringify({ title: 'Unauthorized', detail: 'unknown or revoked API key' }), {}))
      .toBe('GET /v1/zones: 401 Unauthorized: unknown or revoked API key (check GREENSHIFT_API_KEY or --key)')
  })
})

describe('flags', () => {
  test('--url and --key win over the environment; the URL defaults to a local server', () => {
    const env = { GREENSHIFT_URL: 'http://env:1/', GREENSHIFT_API_KEY: 'gs_env' }
    expect(endpointOf({}, env)).toEqual({ url: 'http://env:1', source: 'GREENSHIFT_URL', key: 'gs_env' })
    expect(endpointOf({ url: 'https://flag/base/', key: 'gs_flag' }, env)).toEqual({ url: 'https://flag/base', source: '--url', key: 'gs_flag' })
    expect(endpointOf({}, { GREENSHIFT_API_KEY: 'k' })).toMatchObject({ url: 'http://127.0.0.1:8080', source: 'default' })
  })

  test('a bad URL names where it came from; a missing key says how to give one, and neither shows the key', () => {
    expect(() => endpointOf({}, { GREENSHIFT_URL: 'localhost:8080', GREENSHIFT_API_KEY: 'gs_secret' })).toThrow(/GREENSHIFT_URL must be an http/)
    expect(() => endpointOf({ url: 'not a url' }, { GREENSHIFT_API_KEY: 'gs_secret' })).toThrow(/^--url is not a URL/)
    expect(() => endpointOf({}, { GREENSHIFT_URL: 'http://x' })).toThrow(UsageError)
    expect(() => endpointOf({ key: ' ' }, {})).toThrow(/no API key: set GREENSHIFT_API_KEY/)
  })

  test('labels are key=value, each key once', () => {
    expect(labels(['team=nlp', 'cost=a=b'])).toEqual({ team: 'nlp', cost: 'a=b' })
    expect(labels([])).toBeUndefined()
    expect(() => labels(['team'])).toThrow('--label must be key=value (got "team")')
    expect(() => labels(['t=1', 't=2'])).toThrow('--label t is given twice')
  })

  test('--month is a UTC calendar month', () => {
    expect(monthSpan('2026-11')).toEqual({ from: '2026-11-01', to: '2026-12-01' })
    expect(monthSpan('2026-12')).toEqual({ from: '2026-12-01', to: '2027-01-01' })
    for (const bad of ['2026-13', '2026-1', 'november']) expect(() => monthSpan(bad)).toThrow(/--month must be a month as YYYY-MM/)
  })
})

import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { HOUR_MS, MINUTE_MS } from '../../src/core/types.js'
import { clipPoints, CsvProvider, IntensityCsvError, parseIntensityCsv } from '../../src/providers/csv.js'
import { ProviderError } from '../../src/providers/provider.js'

const T0 = Date.UTC(2026, 0, 5)
const FIXTURE = fileURLToPath(new URL('../fixtures/lab-intensity.csv', import.meta.url))

function csv (...rows: string[]): string {
  return ['start_utc,g_per_kwh', ...rows].join('\n')
}

function parseError (text: string): IntensityCsvError {
  try {
    parseIntensityCsv(text, { name: 'lab.csv' })
  } catch (err) {
    if (err instanceof IntensityCsvError) return err
    throw err
  }
  throw new Error('expected an IntensityCsvError')
}

describe('parseIntensityCsv', () => {
  it('makes each value hold until the next row and the last one for the median step', () => {
    const points = parseIntensityCsv(readFileSync(FIXTURE, 'utf8'), { name: 'lab-intensity.csv' })
    expect(points).toEqual([
      { start: T0, end: T0 + HOUR_MS, gPerKwh: 120.5 },
      { start: T0 + HOUR_MS, end: T0 + 2 * HOUR_MS, gPerKwh: 80 },
      { start: T0 + 2 * HOUR_MS, end: T0 + 3 * HOUR_MS, gPerKwh: 95.25 },
      { start: T0 + 3 * HOUR_MS, end: T0 + 4 * HOUR_MS, gPerKwh: 60 }
    ])
  })

  it('uses the median step, not the last one, for the last row', () => {
    // Steps 15, 15, 15, 60 min: the median is 15 min although the last gap is an hour.
    const points = parseIntensityCsv(csv(
      '2026-01-05T00:00Z,1', '2026-01-05T00:15Z,2', '2026-01-05T00:30Z,3', '2026-01-05T00:45Z,4', '2026-01-05T01:45Z,5'
    ), { name: 'q.csv' })
    expect(points.at(-2)).toEqual({ start: T0 + 45 * MINUTE_MS, end: T0 + 105 * MINUTE_MS, gPerKwh: 4 })
    expect(points.at(-1)).toEqual({ start: T0 + 105 * MINUTE_MS, end: T0 + 120 * MINUTE_MS, gPerKwh: 5 })
  })

  it('accepts a BOM, CRLF, blank lines, quoted cells, +00:00, other column orders and extra columns', () => {
    const text = '\uFEFFzone,"g_per_kwh",start_utc\r\nDE,"10.5",2026-01-05T00:00:00+00:00\r\n\r\nDE,1e2,2026-01-05 01:00:00.500Z\r\n'
    expect(parseIntensityCsv(text, { name: 'x.csv' })).toEqual([
      { start: T0, end: T0 + HOUR_MS + 500, gPerKwh: 10.5 },
      { start: T0 + HOUR_MS + 500, end: T0 + 2 * HOUR_MS + 1000, gPerKwh: 100 }
    ])
  })

  it('names file, line and column for a value that is not a number', () => {
    const err = parseError(csv('2026-01-05T00:00Z,1', '2026-01-05T01:00Z,2', '', '2026-01-05T02:00Z,3',
      '2026-01-05T03:00Z,4', '2026-01-05T04:00Z,abc'))
    expect(err.message).toBe('lab.csv line 7, column g_per_kwh: "abc" is not a number')
    expect([err.file, err.line, err.column]).toEqual(['lab.csv', 7, 'g_per_kwh'])
  })

  it.each([
    ['an empty value', csv('2026-01-05T00:00Z,'), 'lab.csv line 2, column g_per_kwh: "" is not a number'],
    ['a hex value', csv('2026-01-05T00:00Z,0x10'), 'lab.csv line 2, column g_per_kwh: "0x10" is not a number'],
    ['Infinity', csv('2026-01-05T00:00Z,Infinity'), 'lab.csv line 2, column g_per_kwh: "Infinity" is not a number'],
    ['a negative value', csv('2026-01-05T00:00Z,1', '2026-01-05T01:00Z,-3'), 'lab.csv line 3, column g_per_kwh: "-3" is negative'],
    ['a local time', csv('2026-01-05T00:00,1'),
      'lab.csv line 2, column start_utc: "2026-01-05T00:00" is not an ISO 8601 UTC time like 2022-01-01T00:00:00Z'],
    ['another offset', csv('2026-01-05T00:00+01:00,1'),
      'lab.csv line 2, column start_utc: "2026-01-05T00:00+01:00" is not an ISO 8601 UTC time like 2022-01-01T00:00:00Z'],
    ['a day that does not exist', csv('2022-02-30T00:00Z,1'),
      'lab.csv line 2, column start_utc: "2022-02-30T00:00Z" is not an ISO 8601 UTC time like 2022-01-01T00:00:00Z'],
    ['hour 24', csv('2022-02-03T24:00Z,1'),
      'lab.csv line 2, column start_utc: "2022-02-03T24:00Z" is not an ISO 8601 UTC time like 2022-01-01T00:00:00Z'],
    ['an unsorted start', csv('2026-01-05T01:00Z,1', '2026-01-05T00:00Z,2'),
      'lab.csv line 3, column start_utc: "2026-01-05T00:00Z" is earlier than line 2; rows must be sorted by start_utc without duplicates'],
    ['a duplicate start', csv('2026-01-05T00:00Z,1', '', '2026-01-05T00:00:00Z,2'),
      'lab.csv line 4, column start_utc: "2026-01-05T00:00:00Z" repeats the start of line 2; rows must be sorted by start_utc without duplicates'],
    ['a missing header', '2026-01-05T00:00Z,1\n2026-01-05T01:00Z,2',
      'lab.csv line 1: the header must name the columns start_utc and g_per_kwh, got "2026-01-05T00:00Z,1"'],
    ['a short row', csv('2026-01-05T00:00Z,1', '2026-01-05T01:00Z'), 'lab.csv line 3: expected 2 columns, got 1'],
    ['no rows', csv(), 'lab.csv: no data rows after the header'],
    ['one row', csv('2026-01-05T00:00Z,1'), 'lab.csv: needs at least 2 rows: the last row holds for the median step between rows']
  ])('rejects %s', (_what, text, message) => {
    expect(parseError(text).message).toBe(message)
  })
})

describe('clipPoints', () => {
  const points = [
    { start: 0, end: 10, gPerKwh: 1 },
    { start: 10, end: 20, gPerKwh: 2 },
    { start: 20, end: 30, gPerKwh: 3 }
  ]

  it('keeps the points overlapping [from, to), cut to it', () => {
    expect(clipPoints(points, 5, 20)).toEqual([{ start: 5, end: 10, gPerKwh: 1 }, { start: 10, end: 20, gPerKwh: 2 }])
    expect(clipPoints(points, 10, 11)).toEqual([{ start: 10, end: 11, gPerKwh: 2 }])
    expect(clipPoints(points, 30, 40)).toEqual([])
    expect(clipPoints(points, 20, 10)).toEqual([])
  })
})

describe('CsvProvider', () => {
  const load = (): string => csv('2026-01-05T00:00:00Z,100', '2026-01-05T01:00:00Z,50')

  it('reads the file once and serves it as forecast and actuals, clipped', async () => {
    let reads = 0
    const provider = new CsvProvider({ zone: 'LAB', path: '/x/lab.csv', signal: 'marginal', load: () => { reads++; return load() } })
    const expected = {
      zone: 'LAB',
      signal: 'marginal',
      gas: 'co2',
      factorType: 'marginal',
      source: 'csv:lab.csv',
      version: `sha256:${createHash('sha256').update(load()).digest('hex').slice(0, 16)}`,
      points: [{ start: T0 + 30 * MINUTE_MS, end: T0 + HOUR_MS, gPerKwh: 100 }, { start: T0 + HOUR_MS, end: T0 + 2 * HOUR_MS, gPerKwh: 50 }]
    }
    expect(await provider.forecast('LAB', T0 + 30 * MINUTE_MS, T0 + 5 * HOUR_MS)).toEqual(expected)
    expect(await provider.actuals('LAB', T0 + 30 * MINUTE_MS, T0 + 5 * HOUR_MS)).toEqual(expected)
    expect([provider.id, provider.signal, reads]).toEqual(['csv', 'marginal', 1])
  })

  it('reads the real fixture through the default loader, versioned by the hash of its bytes', async () => {
    const provider = new CsvProvider({ zone: 'LAB', path: FIXTURE, signal: 'average' })
    const series = await provider.actuals('LAB', T0, T0 + 2 * HOUR_MS)
    expect(series.points.map(p => p.gPerKwh)).toEqual([120.5, 80])
    expect(series.source).toBe('csv:lab-intensity.csv')
    const hash = createHash('sha256').update(readFileSync(FIXTURE)).digest('hex')
    expect(series).toMatchObject({ gas: 'co2e', factorType: 'lifecycle', version: `sha256:${hash.slice(0, 16)}` })
  })

  it('gives an edited file another version, and states the configured gas and factor type', async () => {
    const before = new CsvProvider({ zone: 'LAB', path: 'lab.csv', signal: 'average', load })
    const edited = new CsvProvider({ zone: 'LAB', path: 'lab.csv', signal: 'average', gas: 'co2', factorType: 'direct', load: () => load().replace(',50', ',51') })
    const bytes = new CsvProvider({ zone: 'LAB', path: 'lab.csv', signal: 'average', load: () => Buffer.from(load()) })
    const [a, b, c] = await Promise.all([before, edited, bytes].map(async p => await p.forecast('LAB', T0, T0 + HOUR_MS)))
    expect(a?.version).toMatch(/^sha256:[0-9a-f]{16}$/)
    expect(b?.version).not.toBe(a?.version)
    // The same bytes, read as text or as a Buffer, are the same version.
    expect(c?.version).toBe(a?.version)
    expect([b?.gas, b?.factorType, edited.gas, edited.factorType]).toEqual(['co2', 'direct', 'co2', 'direct'])
  })

  it('fails at construction with stable codes when the file is missing or bad', () => {
    const missing = (): CsvProvider => new CsvProvider({
      zone: 'LAB', path: '/nope/lab.csv', signal: 'average', load: () => { throw new Error('ENOENT: no such file') }
    })
    expect(missing).toThrow(ProviderError)
    expect(missing).toThrow('csv provider for zone LAB: cannot read /nope/lab.csv (ENOENT: no such file)')
    try {
      new CsvProvider({ zone: 'LAB', path: '/x/lab.csv', signal: 'average', load: () => csv('2026-01-05T00:00Z,x') })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ProviderError)
      expect(err).toMatchObject({ provider: 'csv', zone: 'LAB', code: 'bad-data' })
      expect((err as Error).message).toBe('lab.csv line 2, column g_per_kwh: "x" is not a number')
    }
  })

  it('rejects other zones, non-finite ranges and aborted calls', async () => {
    const provider = new CsvProvider({ zone: 'LAB', path: 'lab.csv', signal: 'average', load })
    await expect(provider.forecast('DE', T0, T0 + HOUR_MS)).rejects.toMatchObject({ code: 'unknown-zone', zone: 'DE' })
    await expect(provider.actuals('LAB', Number.NaN, T0)).rejects.toMatchObject({ code: 'bad-range' })
    await expect(provider.actuals('LAB', T0, T0 + HOUR_MS, AbortSignal.abort())).rejects.toThrow(/abort/i)
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IntensityCsvError } from '../../src/providers/csv.js'
import { parseForecastCsv } from '../../src/sim/forecast.js'
import { detectIntensityFormat, parseIntensityFile } from '../../src/sim/intensity-formats.js'
import { parseJobsCsv } from '../../src/sim/jobs-csv.js'
import { jsonErrorOffset } from '../../src/sim/json-position.js'
import { LWA_FILTER } from '../../src/sim/lets-wait-awhile.js'
import { parsePoolsJson } from '../../src/sim/pools-json.js'
import { fixture, HOUR, inputError, MIN, T0 } from './helpers.js'

const Y2020 = Date.UTC(2020, 0, 1)
const Y2022 = Date.UTC(2022, 0, 1)

describe('intensity formats', () => {
  it('detects each format from its header', () => {
    expect(detectIntensityFormat(['start_utc', 'g_per_kwh'])).toBe('start-utc')
    expect(detectIntensityFormat(['Time', 'Carbon Intensity'])).toBe('lets-wait-awhile')
    expect(detectIntensityFormat(['Datetime (UTC)', 'Country'])).toBe('electricity-maps')
    expect(detectIntensityFormat(['time', 'Caiso_North'])).toBe('time-value')
    expect(detectIntensityFormat(['when', 'what', 'else'])).toBeUndefined()
  })

  it('reads start_utc,g_per_kwh through the provider parser: each value holds until the next row', () => {
    const f = parseIntensityFile(fixture('intensity.csv'), { name: 'intensity.csv' })
    expect(f.format).toBe('start-utc')
    expect(f.points.map(p => p.gPerKwh)).toEqual([100, 50, 10, 80, 20, 90])
    expect(f.points[5]).toEqual({ start: T0 + 5 * HOUR, end: T0 + 6 * HOUR, gPerKwh: 90 })
  })

  it("reads Let's Wait Awhile rows on their naive clock as UTC, with and without the TARGETS rule 1 filter", () => {
    const all = parseIntensityFile(fixture('lets-wait-awhile.csv'), { name: 'lwa.csv' })
    expect(all.format).toBe('lets-wait-awhile')
    expect(all.points.map(p => p.gPerKwh)).toEqual([999, 100, 500, 200, 600, 300])
    expect(all.points[0]).toEqual({ start: Y2020 - 30 * MIN, end: Y2020, gPerKwh: 999 })
    // Filtered: 2019 dropped, :15 and :45 dropped, so each kept value holds 30 minutes.
    const kept = parseIntensityFile(fixture('lets-wait-awhile.csv'), { name: 'lwa.csv', filter: LWA_FILTER })
    expect(kept.points).toEqual([
      { start: Y2020, end: Y2020 + 30 * MIN, gPerKwh: 100 },
      { start: Y2020 + 30 * MIN, end: Y2020 + 60 * MIN, gPerKwh: 200 },
      { start: Y2020 + 60 * MIN, end: Y2020 + 90 * MIN, gPerKwh: 300 }
    ])
  })

  it('reads the LCA column of an Electricity Maps export by default, the direct one on request', () => {
    const lca = parseIntensityFile(fixture('electricity-maps.csv'), { name: 'es.csv' })
    expect(lca.format).toBe('electricity-maps')
    expect(lca.points.map(p => p.gPerKwh)).toEqual([175.54, 181.54, 191.58])
    expect(lca.points[0]!.start).toBe(Y2022)
    const direct = parseIntensityFile(fixture('electricity-maps.csv'), { name: 'es.csv', emColumn: 'direct' })
    expect(direct.column).toBe('Carbon Intensity gCO₂eq/kWh (direct)')
    expect(direct.points.map(p => p.gPerKwh)).toEqual([133.64, 139.1, 147.66])
  })

  it('names file, line and column of a bad cell', () => {
    expect(inputError(() => parseIntensityFile(fixture('electricity-maps-bad.csv'), { name: 'es.csv' })).message)
      .toBe('es.csv line 4, column Carbon Intensity gCO₂eq/kWh (LCA): "n/a" is not a number')
    const lwa = 'Time,Carbon Intensity\n2020-01-01 00:00:00,1\n2020-01-01 24:30:00,2\n'
    expect(inputError(() => parseIntensityFile(lwa, { name: 'ger.csv' })).message)
      .toBe('ger.csv line 3, column Time: "2020-01-01 24:30:00" is not a timestamp like 2020-01-01 00:00:00 (UTC)')
    const unsorted = 'time,v\n2020-01-01 01:00:00,1\n2020-01-01 00:00:00,2\n'
    expect(inputError(() => parseIntensityFile(unsorted, { name: 'v.csv' })).message).toContain('v.csv line 3, column time: "2020-01-01 00:00:00" is earlier than line 2')
    const short = 'start_utc,g_per_kwh\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,-3\n'
    expect(() => parseIntensityFile(short, { name: 's.csv' })).toThrow(IntensityCsvError)
    expect(() => parseIntensityFile(short, { name: 's.csv' })).toThrow('s.csv line 3, column g_per_kwh: "-3" is negative')
  })

  it('refuses unknown headers and forecast files, saying what to do', () => {
    expect(inputError(() => parseIntensityFile('a,b,c\n1,2,3\n', { name: 'x.csv' })).message).toMatch(/^x\.csv line 1: unknown intensity header "a,b,c"/)
    expect(inputError(() => parseIntensityFile(fixture('forecast.csv'), { name: 'f.csv' })).message).toContain('pass it with --forecast')
    const noDirect = 'Datetime (UTC),Carbon Intensity gCO₂eq/kWh (LCA)\n2022-01-01 00:00:00,1\n2022-01-01 01:00:00,2\n'
    expect(inputError(() => parseIntensityFile(noDirect, { name: 'em.csv', emColumn: 'direct' })).column).toBe('Carbon Intensity gCO₂eq/kWh (direct)')
  })
})

describe('forecast archive', () => {
  it('gives, for a decision time, the newest forecast issued at or before it', () => {
    const archive = parseForecastCsv(fixture('forecast.csv'), { name: 'forecast.csv' })
    expect(archive.issues.map(i => i.issuedAt)).toEqual([T0, T0 + 2 * HOUR])
    expect(archive.knownAt(T0 - 1)).toBeUndefined()
    expect(archive.knownAt(T0 + 2 * HOUR - 1)!.issuedAt).toBe(T0)
    const newest = archive.knownAt(T0 + 3 * HOUR)!
    expect(newest.issuedAt).toBe(T0 + 2 * HOUR)
    // Values hold until the next forecast_time; the last for the file's median step (1 h here).
    expect(newest.points).toEqual([
      { start: T0 + 2 * HOUR, end: T0 + 3 * HOUR, gPerKwh: 1 },
      { start: T0 + 3 * HOUR, end: T0 + 4 * HOUR, gPerKwh: 80 },
      { start: T0 + 4 * HOUR, end: T0 + 5 * HOUR, gPerKwh: 5 }
    ])
  })

  it('names line and column of an out-of-order or malformed row', () => {
    const text = 'request_time,forecast_time,v\n2023-06-08 00:05:00,2023-06-08 00:10:00,1\n2023-06-08 00:00:00,2023-06-08 00:05:00,1\n'
    expect(inputError(() => parseForecastCsv(text, { name: 'f.csv' })).message).toMatch(/^f\.csv line 3, column request_time: /)
    const bad = 'request_time,forecast_time,v\n2023-06-08 00:00:00,2023-06-08 00:05:00,x\n'
    expect(inputError(() => parseForecastCsv(bad, { name: 'f.csv' })).message).toBe('f.csv line 2, column v: "x" is not a number')
    expect(inputError(() => parseForecastCsv('forecast_time,v\n', { name: 'f.csv' })).message).toMatch(/^f\.csv line 1, column request_time: missing/)
  })
})

describe('jobs file', () => {
  it('reads required and optional columns', () => {
    const jobs = parseJobsCsv(fixture('jobs.csv'), { name: 'jobs.csv' })
    expect(jobs.map(j => [j.id, j.line, j.interruptible, j.gpus])).toEqual([['a', 2, false, 1], ['b', 3, true, 1], ['c', 4, undefined, 1]])
    expect(jobs[2]).toMatchObject({ arrival: T0 + 2 * HOUR, durationMs: HOUR, deadline: T0 + 5 * HOUR })
    const more = 'job_id,arrival_utc,duration_minutes,deadline_utc,gpus,zone\nx,2024-03-04T01:00:00+01:00,30,2024-03-04T02:00:00Z,4,DE\n'
    expect(parseJobsCsv(more, { name: 'j.csv' })[0]).toMatchObject({ arrival: T0, gpus: 4, zone: 'DE' })
  })

  it('names line and column: bad instant, bad number, duplicate id, impossible deadline, missing column', () => {
    expect(inputError(() => parseJobsCsv(fixture('jobs-bad.csv'), { name: 'jobs.csv' })).message)
      .toBe('jobs.csv line 12, column deadline_utc: "x" is not an ISO 8601 instant like 2024-03-01T09:00:00Z (an offset or Z is required)')
    const head = 'job_id,arrival_utc,duration_minutes,deadline_utc,gpus\n'
    const e = (row: string) => inputError(() => parseJobsCsv(head + row, { name: 'j.csv' }))
    expect(e('a,2024-03-04T00:00:00,60,2024-03-04T06:00:00Z,1')).toMatchObject({ line: 2, column: 'arrival_utc' })
    expect(e('a,2024-03-04T00:00:00Z,-5,2024-03-04T06:00:00Z,1')).toMatchObject({ line: 2, column: 'duration_minutes' })
    expect(e('a,2024-03-04T00:00:00Z,60,2024-03-04T00:30:00Z,1').message).toContain('earlier than arrival + duration (2024-03-04T01:00:00.000Z)')
    expect(e('a,2024-03-04T00:00:00Z,60,2024-03-04T06:00:00Z,1.5')).toMatchObject({ line: 2, column: 'gpus' })
    expect(e('a,2024-03-04T00:00:00Z,60,2024-03-04T06:00:00Z,1\na,2024-03-04T00:00:00Z,60,2024-03-04T06:00:00Z,1').message).toBe('j.csv line 3, column job_id: "a" repeats the id of line 2')
    expect(e('a,2024-03-04T00:00:00Z,60,2024-03-04T06:00:00Z').message).toBe('j.csv line 2: expected 5 columns like the header, got 4')
    expect(inputError(() => parseJobsCsv('job_id,arrival_utc\n', { name: 'j.csv' }))).toMatchObject({ line: 1, column: 'duration_minutes' })
  })
})

describe('pools file', () => {
  it('reads pools and names the line and field of a bad one', () => {
    expect(parsePoolsJson(fixture('pools.json'), { name: 'pools.json' }).map(p => p.name)).toEqual(['x-small', 'y-large'])
    const text = '[\n  { "name": "a", "zone": "X", "gpuCount": 2, "wattsPerGpu": 300, "pue": 1 },\n  { "name": "b", "zone": "X", "gpuCount": 0, "wattsPerGpu": 300, "pue": 1 }\n]\n'
    expect(inputError(() => parsePoolsJson(text, { name: 'pools.json' })).message).toBe('pools.json line 3, column gpuCount: pool 2: must be a positive integer, got 0')
    expect(inputError(() => parsePoolsJson('[\n  { "name": \n]', { name: 'p.json' })).message).toBe('p.json line 3, column 1: not valid JSON at "]"')
    expect(inputError(() => parsePoolsJson('[{"name": "a",}]', { name: 'p.json' })).message).toBe('p.json line 1, column 15: not valid JSON at "}"')
    expect(inputError(() => parsePoolsJson('{}', { name: 'p.json' })).message).toContain('non-empty JSON array')
  })
})

describe('jsonErrorOffset', () => {
  const parses = (t: string) => { try { JSON.parse(t); return true } catch { return false } }

  it('agrees with JSON.parse on what is valid', () => {
    fc.assert(fc.property(fc.jsonValue(), v => jsonErrorOffset(JSON.stringify(v, null, 2)) === undefined))
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'[]{}",:0123456789.-etrufalsn \n'.split('')), maxLength: 12 }),
      t => (jsonErrorOffset(t) === undefined) === parses(t)))
  })
})

import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HOUR_MS } from '../../src/core/types.js'
import { dataDir, REPLAY_REGIONS, ReplayProvider, replayOffset } from '../../src/providers/replay.js'

const DAY_MS = 24 * HOUR_MS
const WEEK_MS = 7 * DAY_MS
const Y2022 = Date.UTC(2022, 0, 1)
const Y2023 = Date.UTC(2023, 0, 1)
const utc = (iso: string): number => Date.parse(iso)

/** The shipped file as start → value, read without the code under test. */
function shipped (zone: string): Map<number, number> {
  const lines = readFileSync(join(dataDir(), 'zones-2022', `${zone}.csv`), 'utf8').trim().split(/\r?\n/).slice(1)
  return new Map(lines.map(line => {
    const [start = '', value = ''] = line.split(',')
    return [Date.parse(start), Number(value)]
  }))
}

/** Days between the dates' positions in their own years, the short way round a 365-day year. */
function yearDayGap (a: number, b: number): number {
  const dayOfYear = (t: number): number => (t - Date.UTC(new Date(t).getUTCFullYear(), 0, 1)) / DAY_MS
  const gap = Math.abs(dayOfYear(a) - dayOfYear(b)) % 365
  return Math.min(gap, 365 - gap)
}

describe('replayOffset', () => {
  it('maps any instant from 1990 to 2100 into 2022, whole weeks back, same weekday and UTC hour, near the same date', () => {
    fc.assert(fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) }), t => {
      const offset = replayOffset(t)
      const mapped = new Date(t - offset)
      expect(Number.isInteger(offset / WEEK_MS)).toBe(true)
      expect(mapped.getTime()).toBeGreaterThanOrEqual(Y2022)
      expect(mapped.getTime()).toBeLessThan(Y2023)
      expect(mapped.getUTCDay()).toBe(new Date(t).getUTCDay())
      expect(mapped.getUTCHours()).toBe(new Date(t).getUTCHours())
      expect(mapped.getUTCMinutes()).toBe(new Date(t).getUTCMinutes())
      // 3 days from rounding to whole weeks, up to 7 more around the year-end wrap.
      expect(yearDayGap(t, mapped.getTime())).toBeLessThanOrEqual(10)
    }), { numRuns: 2000 })
  })

  it('maps 2026-11-23T10:00Z (a Monday) to Monday 2022-11-21T10:00Z', () => {
    const t = utc('2026-11-23T10:00:00Z')
    expect(new Date(t - replayOffset(t)).toISOString()).toBe('2022-11-21T10:00:00.000Z')
  })

  it('is the identity in most of 2022', () => {
    expect(replayOffset(utc('2022-06-15T12:00:00Z'))).toBe(0)
  })

  it('steps hour by hour through a year end, jumping back exactly 364 days once', () => {
    const jumps: number[] = []
    for (let t = utc('2026-12-20T00:00:00Z'); t < utc('2027-01-10T00:00:00Z'); t += HOUR_MS) {
      const step = (t + HOUR_MS - replayOffset(t + HOUR_MS)) - (t - replayOffset(t))
      if (step !== HOUR_MS) jumps.push(step)
    }
    expect(jumps).toEqual([HOUR_MS - 364 * DAY_MS])
  })

  it('only jumps around new year: a 364-day wrap, and every 5–6 years a one-week repeat', () => {
    const jumps: Array<{ at: Date, days: number }> = []
    for (let t = Date.UTC(2023, 0, 1); t < Date.UTC(2043, 0, 1); t += HOUR_MS) {
      const step = (t + HOUR_MS - replayOffset(t + HOUR_MS)) - (t - replayOffset(t))
      if (step !== HOUR_MS) jumps.push({ at: new Date(t + HOUR_MS), days: (step - HOUR_MS) / DAY_MS })
    }
    for (const { at } of jumps) expect(at.getUTCMonth() === 11 ? at.getUTCDate() >= 24 : at.getUTCDate() <= 7).toBe(true)
    const wraps = jumps.filter(j => j.days === -364).length
    const repeats = jumps.filter(j => j.days === -7).length
    expect(wraps + repeats).toBe(jumps.length)
    // 20 years x 365.25 days drift 20 x 1.25 = 25 days from a 364-day cycle: 3 or 4 weekly repeats.
    expect(wraps).toBeGreaterThanOrEqual(19)
    expect(repeats).toBeGreaterThanOrEqual(3)
    expect(repeats).toBeLessThanOrEqual(4)
  })
})

describe('dataDir', () => {
  it('finds the shipped dataset and REPLAY_REGIONS lists exactly its files', () => {
    const files = readdirSync(join(dataDir(), 'zones-2022')).filter(f => f.endsWith('.csv')).map(f => f.slice(0, -4)).sort()
    expect([...REPLAY_REGIONS].sort()).toEqual(files)
  })
})

describe('ReplayProvider', () => {
  const de = shipped('DE')

  it('returns the shipped values at the mapped hours, in real time, across a year end', async () => {
    const from = utc('2026-12-24T00:00:00Z')
    const to = utc('2027-01-08T00:00:00Z')
    const series = await new ReplayProvider().actuals('DE', from, to)
    expect(series).toMatchObject({ zone: 'DE', signal: 'average', source: 'replay:zones-2022' })
    expect(series.points).toHaveLength((to - from) / HOUR_MS)
    series.points.forEach((p, i) => {
      expect(p.start).toBe(from + i * HOUR_MS)
      expect(p.end).toBe(p.start + HOUR_MS)
      expect(p.gPerKwh).toBe(de.get(p.start - replayOffset(p.start)))
    })
  })

  it('gives 2026-11-23T10:00Z the value DE.csv holds for 2022-11-21T10:00Z', async () => {
    const t = utc('2026-11-23T10:00:00Z')
    const series = await new ReplayProvider().actuals('DE', t, t + HOUR_MS)
    expect(series.points).toEqual([{ start: t, end: t + HOUR_MS, gPerKwh: 599.99 }])
  })

  it('clips partial hours and stops forecasts at the horizon', async () => {
    const from = utc('2026-03-02T10:20:00Z')
    const provider = new ReplayProvider()
    const actuals = await provider.actuals('FR', from, from + 3 * HOUR_MS)
    expect(actuals.points.map(p => [p.start - from, p.end - from])).toEqual([
      [0, 40 * 60_000], [40 * 60_000, 100 * 60_000], [100 * 60_000, 160 * 60_000], [160 * 60_000, 180 * 60_000]
    ])
    const forecast = await provider.forecast('FR', from, from + 100 * HOUR_MS)
    expect(forecast.points.at(-1)?.end).toBe(from + 48 * HOUR_MS)
    const short = await new ReplayProvider({ horizonHours: 6 }).forecast('FR', from, from + 100 * HOUR_MS)
    expect(short.points.at(-1)?.end).toBe(from + 6 * HOUR_MS)
    expect(await provider.forecast('FR', from, from)).toMatchObject({ points: [] })
  })

  it('agrees with itself whatever the requested range: forecasts equal actuals hour by hour', async () => {
    const provider = new ReplayProvider({ horizonHours: 24 * 14 })
    const a = await provider.forecast('GB', utc('2027-12-20T00:00:00Z'), utc('2028-01-10T00:00:00Z'))
    const b = await provider.actuals('GB', utc('2027-12-31T05:00:00Z'), utc('2028-01-02T00:00:00Z'))
    const byStart = new Map(a.points.map(p => [p.start, p.gPerKwh]))
    for (const p of b.points) expect(p.gPerKwh).toBe(byStart.get(p.start))
  })

  it('reads a file lazily, once per zone, and retries a failed read', async () => {
    const reads: string[] = []
    let fail = true
    const provider = new ReplayProvider({
      dir: '/fake',
      regions: { LAB: 'FR' },
      load: async path => {
        reads.push(path)
        if (fail) throw new Error('EIO: disk on fire')
        return readFileSync(join(dataDir(), 'zones-2022', 'FR.csv'), 'utf8')
      }
    })
    expect(reads).toEqual([])
    const t = utc('2026-06-01T00:00:00Z')
    await expect(provider.actuals('LAB', t, t + HOUR_MS)).rejects.toMatchObject({ code: 'unavailable', zone: 'LAB', provider: 'replay' })
    fail = false
    const [x, y] = await Promise.all([provider.actuals('LAB', t, t + HOUR_MS), provider.forecast('LAB', t, t + HOUR_MS)])
    await provider.actuals('LAB', t, t + 2 * HOUR_MS)
    expect(reads).toEqual(['/fake/zones-2022/FR.csv', '/fake/zones-2022/FR.csv'])
    expect(x).toEqual(y)
    expect(x.points[0]?.gPerKwh).toBe(shipped('FR').get(t - replayOffset(t)))
  })

  it('labels the dataset co2e/lifecycle (Electricity Maps LCA) and versions each zone by its file\'s hash', async () => {
    const t = utc('2026-06-01T00:00:00Z')
    const hash = (zone: string) => `sha256:${createHash('sha256').update(readFileSync(join(dataDir(), 'zones-2022', `${zone}.csv`))).digest('hex').slice(0, 16)}`
    const provider = new ReplayProvider()
    const [de, fr] = await Promise.all([provider.forecast('DE', t, t + HOUR_MS), provider.actuals('FR', t, t + HOUR_MS)])
    expect(de).toMatchObject({ signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: 'replay:zones-2022', version: hash('DE') })
    expect(fr?.version).toBe(hash('FR'))
    let text = readFileSync(join(dataDir(), 'zones-2022', 'DE.csv'), 'utf8')
    const edited = new ReplayProvider({ load: async () => text })
    const first = (await edited.actuals('DE', t, t + HOUR_MS)).version
    text = text.replace(/\n(2022-01-01T00:00:00Z),([0-9.]+)/, (_, at: string, v: string) => `\n${at},${Number(v) + 1}`)
    const changed = (await new ReplayProvider({ load: async () => text }).actuals('DE', t, t + HOUR_MS)).version
    expect(first).toBe(hash('DE'))
    expect(changed).not.toBe(first)
  })

  it('fails with stable codes for unknown zones, bad names, bad files and bad ranges', async () => {
    const t = utc('2026-06-01T00:00:00Z')
    await expect(new ReplayProvider().actuals('XX', t, t + HOUR_MS)).rejects.toMatchObject({ code: 'unknown-zone', zone: 'XX' })
    await expect(new ReplayProvider({ regions: { A: '../x' } }).actuals('A', t, t + HOUR_MS)).rejects.toMatchObject({ code: 'unknown-zone' })
    const short = new ReplayProvider({ load: async () => 'start_utc,g_per_kwh\n2022-01-01T00:00Z,1\n2022-01-01T01:00Z,2\n' })
    await expect(short.actuals('DE', t, t + HOUR_MS)).rejects.toMatchObject({ code: 'bad-data' })
    const bad = new ReplayProvider({ load: async () => 'start_utc,g_per_kwh\n2022-01-01T00:00Z,oops\n' })
    await expect(bad.actuals('DE', t, t + HOUR_MS)).rejects.toThrow('zones-2022/DE.csv line 2, column g_per_kwh: "oops" is not a number')
    await expect(new ReplayProvider().actuals('DE', t, Number.POSITIVE_INFINITY)).rejects.toMatchObject({ code: 'bad-range' })
  })
})

import { describe, expect, it } from 'vitest'
import { idleRow } from '../../src/core/report-idle.js'
import { buckets, parseGrouping, periodStart } from '../../src/core/report-periods.js'
import { reportRows } from '../../src/core/report.js'
import { HOUR_MS } from '../../src/core/types.js'
import { ledgerOf } from '../support/report-ledger.js'

const at = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h)
const iso = (t: number) => new Date(t).toISOString().slice(0, 10)

describe('report periods', () => {
  it('parses groupBy into at most one time dimension and other dimensions in order', () => {
    expect(parseGrouping('month,label:team,pool')).toEqual({ ok: true, grouping: { time: 'month', keys: ['label:team', 'pool'] } })
    expect(parseGrouping('tenant')).toEqual({ ok: true, grouping: { time: null, keys: ['tenant'] } })
    for (const bad of ['', 'year', 'day,week', 'zone,zone', 'label:', 'label:a b', 'month,', 'a,b,c,d,e,f']) {
      const parsed = parseGrouping(bad)
      expect(parsed.ok, bad).toBe(false)
      if (!parsed.ok) expect(parsed.problem).not.toMatch(/[\^$[\]{}]/)
    }
  })

  it('cuts a range into UTC months across a year end, ISO weeks from Monday, and days, clipped to the range', () => {
    expect(buckets('month', at(2026, 12, 15), at(2027, 2, 1)).map(b => [iso(b.start), iso(b.end)])).toEqual([['2026-12-15', '2027-01-01'], ['2027-01-01', '2027-02-01']])
    // 1 January 2027 is a Friday: its ISO week began on Monday 28 December 2026.
    expect(iso(periodStart('week', at(2027, 1, 1, 13)))).toBe('2026-12-28')
    expect(iso(periodStart('week', at(2026, 11, 30)))).toBe('2026-11-30')
    expect(buckets('day', at(2026, 11, 1, 6), at(2026, 11, 3)).map(b => b.end - b.start)).toEqual([18 * HOUR_MS, 24 * HOUR_MS])
    expect(buckets(null, 5, 9)).toEqual([{ start: 5, end: 9 }])
  })
})

describe('report rows', () => {
  it('puts an attempt of no length wholly in the period of its start, and the job\'s figures with it', () => {
    const t = at(2026, 11, 30, 23)
    const ledger = ledgerOf([{ start: t, end: t, energyKwh: 0.5, grams: 50 }], { baseline: 80 })
    const rows = reportRows([{ id: 'j', tenant: 'a', labels: {}, ledger }], { time: 'month', keys: [] }, at(2026, 11, 1), at(2027, 1, 1))
    expect(rows.map(r => [iso(r.period?.start ?? 0), r.energyKwh, r.actualGrams, r.baselineGrams, r.jobs])).toEqual([['2026-11-01', 0.5, 50, 80, 1]])
  })
})

describe('idle row', () => {
  it('never counts fewer than 0 idle GPU-hours, and says so when the zone has no actuals', () => {
    const pool = { name: 'p', zone: 'Z', gpuCount: 2, idleWattsPerGpu: 40, pue: 1.2 }
    const span = { start: 0, end: 2 * HOUR_MS }
    const row = idleRow(pool, span, [{ pool: 'p', gpus: 3, start: 0, end: 2 * HOUR_MS }, { pool: 'q', gpus: 8, start: 0, end: HOUR_MS }], { signal: 'marginal', points: [], sources: [] })
    expect(row).toMatchObject({ unallocatedGpuHours: 0, energyKwh: 0, gPerKwh: null, grams: null, source: null, provisional: true, gas: 'co2', factorType: 'marginal' })
    const free = idleRow(pool, span, [], { signal: 'average', points: [{ start: -HOUR_MS, end: HOUR_MS, gPerKwh: 100 }, { start: HOUR_MS, end: 3 * HOUR_MS, gPerKwh: 400 }], sources: ['x'] })
    // 4 GPU-h × 40 W × 1.2 = 0.192 kWh at the time-weighted 250 g/kWh.
    expect(free).toMatchObject({ unallocatedGpuHours: 4, gPerKwh: 250, provisional: false, source: 'actual:x' })
    expect(free.energyKwh).toBeCloseTo(0.192, 12)
    expect(free.grams).toBeCloseTo(48, 9)
  })

  it('says what its intensity counts and which data it is, as stored (a co2/direct zone is not co2e/lifecycle)', () => {
    const pool = { name: 'p', zone: 'GB', gpuCount: 2, idleWattsPerGpu: 40, pue: 1 }
    const row = idleRow(pool, { start: 0, end: HOUR_MS }, [], {
      signal: 'average', labels: { signal: 'average', gas: 'co2', factorType: 'direct' }, version: '2026-11-23T10:00:00.000Z', points: [{ start: 0, end: HOUR_MS, gPerKwh: 150 }], sources: ['carbonintensity-uk']
    })
    expect(row).toMatchObject({ gas: 'co2', factorType: 'direct', source: 'actual:carbonintensity-uk@2026-11-23T10:00:00.000Z' })
  })
})

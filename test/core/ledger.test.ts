import { describe, expect, test } from 'vitest'
import { computeLedger, type LedgerInput, type ZoneIntensity } from '../../src/core/ledger.js'
import type { JobLedger, JobPlan, Series, Signal } from '../../src/core/types.js'
import { HOUR, MIN, pool, T0 } from './helpers.js'

/** A flat series of `g` gCO2e/kWh over [from, to) in hourly points. */
function flat (g: number, from: number, to: number, source: string, signal: Signal = 'average'): Series {
  const points = []
  for (let t = from; t < to; t += HOUR) points.push({ start: t, end: Math.min(t + HOUR, to), gPerKwh: g })
  return { zone: 'Z', signal, source, points }
}

const none = (source = 'none', signal: Signal = 'average'): Series => ({ zone: 'Z', signal, source, points: [] })

/** Run pool `here`: 700 W per GPU at PUE 1.2. Baseline pool `home`: another zone. */
const here = pool('here', { zone: 'HERE', wattsPerGpu: 700, pue: 1.2 })
const home = pool('home', { zone: 'HOME', wattsPerGpu: 700, pue: 1.2 })

/** Planned 2 h from T0 + 6 h on `here`; baseline at T0 on `home`. */
const plan: JobPlan = {
  pool: 'here',
  zone: 'HERE',
  segments: [{ start: T0 + 6 * HOUR, end: T0 + 8 * HOUR }],
  latestSafeStart: T0 + 20 * HOUR,
  energyKwh: 6.72,
  expected: { grams: 1500, signal: 'average', source: 'fc-here', method: 'expected', usesFallback: false },
  baseline: { grams: 2600, signal: 'average', source: 'fc-home', method: 'expected', usesFallback: false, pool: 'home', start: T0 },
  expectedAvoidedGrams: 1100,
  plannedAt: T0
}

const NOW = T0 + 24 * HOUR
const RUN = { start: T0 + 6 * HOUR, end: T0 + 8 * HOUR }

/** 4 GPUs for 2 h, run in HERE at 250 g/kWh actual; baseline in HOME at 400 g/kWh actual. */
function input (over: Partial<LedgerInput> = {}): LedgerInput {
  return {
    plan,
    run: { pool: here, ...RUN, energyKwh: null },
    baselinePool: home,
    power: { gpus: 4, durationMs: 2 * HOUR },
    runZone: { actual: flat(250, T0, NOW, 'act-here'), forecast: flat(300, T0, NOW + 24 * HOUR, 'fc-here') },
    baselineZone: { actual: flat(400, T0, NOW, 'act-home'), forecast: flat(450, T0, NOW + 24 * HOUR, 'fc-home') },
    now: NOW,
    ...over
  }
}

function ledgerOf (i: LedgerInput): JobLedger {
  const out = computeLedger(i)
  if (!out.ok) throw new Error(out.detail)
  return out.ledger
}

describe('computeLedger', () => {
  test('estimated: 4 GPUs × 700 W × PUE 1.2 for 2 h = 6.72 kWh; actual, baseline and avoided on actual intensity', () => {
    const l = ledgerOf(input())
    expect(l.energyKwh).toBeCloseTo(6.72, 9)
    expect(l.energyMethod).toBe('estimated')
    expect(l.runMs).toBe(2 * HOUR)
    // 3.36 kW × 2 h × 250 g/kWh = 1680 g; the same at 400 g/kWh = 2688 g.
    expect(l.actual).toEqual({ grams: expect.closeTo(1680, 6), signal: 'average', source: 'actual:act-here', method: 'estimated', provisional: false, pool: 'here', zone: 'HERE', start: RUN.start, end: RUN.end })
    expect(l.baseline).toEqual({ grams: expect.closeTo(2688, 6), signal: 'average', source: 'actual:act-home', method: 'estimated', provisional: false, pool: 'home', zone: 'HOME', start: T0 })
    expect(l.avoidedGrams).toBeCloseTo(1008, 6)
    expect(l.avoidedNote).toBeNull()
    expect(l.expected).toEqual({ grams: 1500, signal: 'average', source: 'fc-here', method: 'expected', provisional: false })
    expect(l.provisional).toBe(false)
    expect(l.embodiedGrams).toBeNull()
    expect(l.computedAt).toBe(NOW)
  })

  test('measured energy replaces the estimate: 5 kWh over 2 h is 2.5 kW on both sides', () => {
    const l = ledgerOf(input({ run: { pool: here, ...RUN, energyKwh: 5 } }))
    expect(l.energyMethod).toBe('measured')
    expect(l.energyKwh).toBe(5)
    expect(l.actual.grams).toBeCloseTo(1250, 6) // 5 kWh × 250
    expect(l.baseline.grams).toBeCloseTo(2000, 6) // 5 kWh × 400
    expect(l.avoidedGrams).toBeCloseTo(750, 6)
    expect(l.actual.method).toBe('measured')
    expect(l.baseline.method).toBe('measured')
  })

  test('a job energy override is its kW over the planned duration, times the actual run time', () => {
    // 10 kWh planned over 4 h is 2.5 kW; the run took 2 h: 5 kWh.
    const l = ledgerOf(input({ power: { gpus: 4, durationMs: 4 * HOUR, energyKwh: 10 } }))
    expect(l.energyKwh).toBeCloseTo(5, 9)
  })

  test('partial points are integrated exactly: a run from :30 to :30 over 100 and 300 g/kWh hours', () => {
    const points = [{ start: T0 + 6 * HOUR, end: T0 + 7 * HOUR, gPerKwh: 100 }, { start: T0 + 7 * HOUR, end: T0 + 8 * HOUR, gPerKwh: 300 }]
    const runZone: ZoneIntensity = { actual: { zone: 'HERE', signal: 'average', source: 'a', points }, forecast: none() }
    const l = ledgerOf(input({ run: { pool: here, start: T0 + 6 * HOUR + 30 * MIN, end: T0 + 7 * HOUR + 30 * MIN, energyKwh: 2 }, runZone }))
    // 2 kW: ½ h × 100 + ½ h × 300 = 200 g/kWh·h × 2 kW = 400 g.
    expect(l.actual.grams).toBeCloseTo(400, 9)
  })

  test('provisional while actuals stop mid-run: the rest is priced on the stored forecast and labelled', () => {
    const runZone = { actual: flat(250, T0, RUN.start + HOUR, 'act-here'), forecast: flat(300, T0, NOW, 'fc-here') }
    const l = ledgerOf(input({ runZone }))
    // 3.36 kW × (1 h × 250 + 1 h × 300) = 1848 g.
    expect(l.actual.grams).toBeCloseTo(1848, 6)
    expect(l.actual.source).toBe('actual:act-here + forecast:fc-here')
    expect(l.actual.provisional).toBe(true)
    expect(l.provisional).toBe(true)
    expect(l.baseline.provisional).toBe(false)
    expect(l.avoidedGrams).toBeCloseTo(2688 - 1848, 6)
  })

  test('actual points after now are not actuals yet, whatever the provider returned', () => {
    const l = ledgerOf(input({ now: RUN.start + HOUR }))
    expect(l.actual.provisional).toBe(true)
    expect(l.actual.grams).toBeCloseTo(3.36 * (250 + 300), 6)
  })

  test('no actuals at all: priced wholly on the forecast, with its signal, provisional', () => {
    const l = ledgerOf(input({ runZone: { actual: none('act-here', 'marginal'), forecast: flat(300, T0, NOW, 'fc-here') } }))
    expect(l.actual).toMatchObject({ grams: expect.closeTo(2016, 6), signal: 'average', source: 'forecast:fc-here', provisional: true })
  })

  test('beyond the forecast horizon the labelled fallback profile says so', () => {
    const forecast = { ...flat(300, T0, NOW, 'fc-here'), fallbackFrom: RUN.start + HOUR }
    const l = ledgerOf(input({ runZone: { actual: none(), forecast } }))
    expect(l.actual.source).toBe('fallback:fc-here')
  })

  test('actuals and a forecast of another signal are never mixed in one figure: the forecast prices it all', () => {
    const runZone = { actual: flat(250, T0, RUN.start + HOUR, 'act-here'), forecast: flat(300, T0, NOW, 'moer', 'marginal') }
    const l = ledgerOf(input({ runZone }))
    expect(l.actual).toMatchObject({ grams: expect.closeTo(2016, 6), signal: 'marginal', source: 'forecast:moer', provisional: true })
    // …and then baseline (average) and actual (marginal) differ: no avoided figure.
    expect(l.avoidedGrams).toBeNull()
  })

  test('different signals in the two zones → avoided is null and says why', () => {
    const baselineZone = { actual: flat(800, T0, NOW, 'watttime:CAISO_NORTH:co2_moer', 'marginal'), forecast: none() }
    const l = ledgerOf(input({ baselineZone }))
    expect(l.baseline.signal).toBe('marginal')
    expect(l.actual.signal).toBe('average')
    expect(l.avoidedGrams).toBeNull()
    expect(l.avoidedNote).toContain('marginal')
    expect(l.avoidedNote).toContain('average')
  })

  test('embodied carbon is reported apart and never added: 50 g/GPU-h × 4 GPUs × 2 h = 400 g', () => {
    const l = ledgerOf(input({ run: { pool: { ...here, embodiedGPerGpuHour: 50 }, ...RUN, energyKwh: null } }))
    expect(l.embodiedGrams).toBeCloseTo(400, 9)
    expect(l.actual.grams).toBeCloseTo(1680, 6)
    expect(l.avoidedGrams).toBeCloseTo(1008, 6)
  })

  test('overlapping stored points (two fetches) do not break pricing: the earlier start keeps the shared time', () => {
    const actual: Series = { zone: 'Z', signal: 'average', source: 'a', points: [
      { start: T0, end: RUN.start + HOUR, gPerKwh: 250 },
      { start: RUN.start + 30 * MIN, end: NOW, gPerKwh: 250 }
    ] }
    expect(ledgerOf(input({ runZone: { actual, forecast: none() } })).actual.grams).toBeCloseTo(1680, 6)
  })

  test('no intensity for the baseline interval at all, or a run without duration, is an outcome, not a throw', () => {
    const out = computeLedger(input({ baselineZone: { actual: none(), forecast: none() } }))
    expect(out).toMatchObject({ ok: false, reason: 'no-intensity-data' })
    expect(computeLedger(input({ run: { pool: here, start: RUN.start, end: RUN.start, energyKwh: 1 } }))).toMatchObject({ ok: false, reason: 'empty-run' })
  })
})

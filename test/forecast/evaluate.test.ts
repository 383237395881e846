import { describe, expect, it } from 'vitest'
import { evaluate, MIN_HISTORY_MS, originsFor, splitFor } from '../../src/forecast/evaluate.js'
import { HOUR_MS, type ForecastModel, type Hourly } from '../../src/forecast/model.js'
import { constantModel, fill, hoursAfter, synthetic, Y2022 } from './helpers.js'

const iso = (t: number): string => new Date(t).toISOString()

describe('evaluate: no look-ahead', () => {
  const series = synthetic(Y2022, 365 * 24)
  const origins = originsFor(series, { from: Y2022, to: Date.UTC(2023, 0, 1), everyHours: 24 }, 96)

  it('hands the model only the hours before each origin, cut afresh for each', () => {
    const seen: Array<{ origin: number, lastHourStart: number, lastHourEnd: number, prefix: boolean }> = []
    const spy: ForecastModel = {
      name: 'spy',
      forecast: (history, origin, hours) => {
        const n = history.values.length
        seen.push({
          origin,
          lastHourStart: history.start + (n - 1) * HOUR_MS,
          lastHourEnd: history.start + n * HOUR_MS,
          prefix: history.values.every((v, i) => v === series.values[i])
        })
        // A model that scribbles on its history must not change what the next origin sees.
        ;(history.values as number[]).fill(-1)
        return fill(hours, () => 300, 10)
      }
    }
    evaluate(series, spy, { origins, horizons: [24, 96] })
    expect(seen.map(s => s.origin)).toEqual(origins)
    for (const s of seen) {
      expect(s.lastHourStart).toBeLessThan(s.origin)
      expect(s.lastHourEnd).toBe(s.origin)
      expect(s.prefix).toBe(true)
    }
    expect(series.values.every(v => v > 0)).toBe(true)
  })

  it('a model that reads the future from its history is perfect on the full series and not under the harness', () => {
    // Reads the hour it forecasts straight out of its history; without the future it falls back
    // to the last hour seen, which on a daily cycle is far from perfect.
    const cheat: ForecastModel = {
      name: 'cheat',
      forecast: (history, origin, hours) => {
        const at = Math.round((origin - history.start) / HOUR_MS)
        const v = history.values
        return fill(hours, i => v[at + i] ?? v[v.length - 1]!, 0)
      }
    }
    const leaky: ForecastModel = { name: 'leaky', forecast: (_h, origin, hours) => cheat.forecast(series, origin, hours) }
    const leaked = evaluate(series, leaky, { origins, horizons: [24] }).horizons[0]!
    expect(leaked.mape).toBe(0)
    expect(leaked.mae).toBe(0)
    const honest = evaluate(series, cheat, { origins, horizons: [24] }).horizons[0]!
    expect(honest.mape).toBeGreaterThan(0.1)
  })
})

describe('evaluate: metrics by hand', () => {
  // Hours 0..5 from 2022-01-01: a zero (no percentage error) and an unknown hour (not scored).
  const tiny: Hourly = { start: Y2022, values: [100, 200, 0, NaN, 50, 400] }
  const model = { name: 'flat', forecast: (_h: Hourly, _o: number, hours: number) => ({ p10: Array(hours).fill(90), p50: Array(hours).fill(100), p90: Array(hours).fill(150) }) }

  it('one origin: MAPE skips the zero, MAE and coverage skip only the unknown hour', () => {
    const r = evaluate(tiny, model, { origins: [hoursAfter(Y2022, 2)], horizons: [1, 3, 4] })
    expect(r.origins).toBe(1)
    const [h1, h3, h4] = r.horizons
    // Step 1: actual 0 → |100 − 0| = 100, outside 90..150, no MAPE.
    expect(h1).toEqual({ hours: 1, mape: NaN, mae: 100, coverage: 0, n: 1, nMape: 0 })
    // Steps 0, NaN, 50: errors 100 and 50; 50/50 = 1.
    expect(h3).toEqual({ hours: 3, mape: 1, mae: 75, coverage: 0, n: 2, nMape: 1 })
    // + 400: error 300, 300/400 = 0.75.
    expect(h4).toEqual({ hours: 4, mape: 0.875, mae: 150, coverage: 0, n: 3, nMape: 2 })
  })

  it('two origins pool their steps', () => {
    const r = evaluate(tiny, model, { origins: [Y2022, hoursAfter(Y2022, 2)], horizons: [1, 3, 4] })
    const [h1, h3, h4] = r.horizons
    // Origin 0, step 1: 100 exactly, inside the band.
    expect(h1).toEqual({ hours: 1, mape: 0, mae: 50, coverage: 0.5, n: 2, nMape: 1 })
    // Origin 0: 100, 200, 0 → errors 0, 100, 100; APE 0, 0.5; covered 1 of 3. Plus origin 2's.
    expect(h3).toEqual({ hours: 3, mape: 0.5, mae: 70, coverage: 0.2, n: 5, nMape: 3 })
    expect(h4!.mape).toBe(0.5625)
    expect(h4!.mae).toBeCloseTo(650 / 6, 12)
    expect(h4!.coverage).toBeCloseTo(1 / 6, 12)
    expect(h4!.n).toBe(6)
  })

  it('rejects a forecast too short or not finite, and bad horizons', () => {
    const short: ForecastModel = { name: 'short', forecast: () => fill(2, () => 1, 1) }
    expect(() => evaluate(tiny, short, { origins: [Y2022], horizons: [3] })).toThrow(/model short gave 2 p10 steps from 2022-01-01T00:00:00.000Z, 3 asked/)
    const nan: ForecastModel = { name: 'nan', forecast: (_h, _o, n) => fill(n, i => (i === 1 ? NaN : 1), 1) }
    expect(() => evaluate(tiny, nan, { origins: [Y2022], horizons: [3] })).toThrow(/model nan gave a non-finite p10 at step 1 from 2022-01-01/)
    expect(() => evaluate(tiny, constantModel('c', 1), { origins: [Y2022], horizons: [0] })).toThrow(/horizons must be whole numbers/)
  })
})

describe('originsFor', () => {
  const year = synthetic(Y2022, 365 * 24)

  it('daily at 00:00 UTC, 28 days of history before, the longest horizon of actuals after', () => {
    const o = originsFor(year, { from: Y2022, to: Date.UTC(2023, 0, 1), everyHours: 24 }, 96)
    expect(iso(o[0]!)).toBe('2022-01-29T00:00:00.000Z')
    expect(o[0]! - year.start).toBe(MIN_HISTORY_MS)
    expect(iso(o[o.length - 1]!)).toBe('2022-12-28T00:00:00.000Z')
    expect(o.every(t => new Date(t).getUTCHours() === 0)).toBe(true)
    expect(o.length).toBe(334)
  })

  it('starts at the next grid point after an unaligned from', () => {
    const o = originsFor(year, { from: Date.UTC(2022, 5, 1, 7, 30), to: Date.UTC(2022, 5, 3), everyHours: 24 }, 24)
    expect(o.map(iso)).toEqual(['2022-06-02T00:00:00.000Z', '2022-06-03T00:00:00.000Z'])
    const six = originsFor(year, { from: Date.UTC(2022, 5, 1, 7), to: Date.UTC(2022, 5, 1, 23), everyHours: 6 }, 24)
    expect(six.map(t => new Date(t).getUTCHours())).toEqual([12, 18])
  })

  it('gives none when the series is too short', () => {
    expect(originsFor(synthetic(Y2022, 28 * 24 + 23), { from: Y2022, to: Infinity, everyHours: 24 }, 24)).toEqual([])
  })
})

describe('splitFor', () => {
  it('on 2022: validation 2022-07-01 to 96 h before the test, test 2022-10-01..2022-12-28', () => {
    const year = synthetic(Y2022, 365 * 24)
    const split = splitFor(year, 96)
    const validation = originsFor(year, split.validation, 96)
    const test = originsFor(year, split.test, 96)
    expect([iso(validation[0]!), iso(validation[validation.length - 1]!)]).toEqual(['2022-07-01T00:00:00.000Z', '2022-09-27T00:00:00.000Z'])
    expect([iso(test[0]!), iso(test[test.length - 1]!)]).toEqual(['2022-10-01T00:00:00.000Z', '2022-12-28T00:00:00.000Z'])
    expect([validation.length, test.length]).toEqual([89, 89])
  })

  it('follows the data: a leap year, and a short series snapped to midnights', () => {
    const leap = synthetic(Date.UTC(2024, 0, 1), 366 * 24)
    const s = splitFor(leap, 24)
    expect([iso(s.validation.from), iso(s.test.from)]).toEqual(['2024-07-01T00:00:00.000Z', '2024-10-01T00:00:00.000Z'])
    const short = synthetic(Y2022, 80 * 24)
    const t = splitFor(short, 24)
    expect([iso(t.validation.from), iso(t.test.from)]).toEqual(['2022-02-10T00:00:00.000Z', '2022-03-02T00:00:00.000Z'])
  })
})

import { describe, expect, test } from 'vitest'
import { bandedModel, quantile } from '../../src/forecast/bands.js'
import { GREENSHIFT_MODEL, MODELS, persistence } from '../../src/forecast/index.js'
import { historyBefore, HOUR_MS, type Hourly } from '../../src/forecast/model.js'
import { ewProfile } from '../../src/forecast/models/ew-profile.js'
import { seasonalNaive } from '../../src/forecast/models/seasonal.js'

const T0 = Date.UTC(2022, 0, 3) // a Monday, 00:00 UTC
const DAY = 24 * HOUR_MS

/** `days` days of hourly values from `f(hour index)`. */
const series = (days: number, f: (i: number) => number): Hourly => ({ start: T0, values: Array.from({ length: days * 24 }, (_, i) => f(i)) })

/** A clean daily shape: 300 g/kWh by night, 150 at midday. */
const shape = (i: number) => 225 + 75 * Math.cos((2 * Math.PI * (i % 24)) / 24)

/** Deterministic noise in [-1, 1) (a linear congruential sequence). */
function noise (seed: number): () => number {
  let x = seed
  return () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 1073741824 - 1 }
}

describe('seasonal naive', () => {
  test('each hour is the same hour of the last day (or week) observed, also when the history ends hours before the origin', () => {
    const s = series(14, i => i)
    const origin = T0 + 14 * DAY
    expect(seasonalNaive(24)(s, origin, 3)).toEqual([13 * 24, 13 * 24 + 1, 13 * 24 + 2])
    expect(seasonalNaive(168)(s, origin, 2)).toEqual([7 * 24, 7 * 24 + 1])
    // History ends 5 hours before the origin: 00:00 is yesterday's 00:00 still, 20:00 is the day before's.
    const short = historyBefore(s, origin - 5 * HOUR_MS)
    expect(seasonalNaive(24)(short, origin, 1)).toEqual([13 * 24])
    expect(seasonalNaive(24)(short, origin - 4 * HOUR_MS, 1)).toEqual([12 * 24 + 20])
  })

  test('a missing hour falls back a whole period; none at all is NaN', () => {
    const s = series(3, i => i === 2 * 24 + 5 ? NaN : i)
    expect(seasonalNaive(24)(s, T0 + 3 * DAY + 5 * HOUR_MS, 1)).toEqual([24 + 5])
    expect(seasonalNaive(24)({ start: T0, values: [] }, T0, 2)).toEqual([NaN, NaN])
  })
})

describe('exponentially weighted profile', () => {
  const model = ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: false })

  test('a day that repeats is forecast exactly, days ahead', () => {
    const s = series(28, shape)
    const f = model(s, T0 + 28 * DAY, 96)
    f.forEach((v, h) => { expect(v).toBeCloseTo(shape(h), 9) })
  })

  test('the last hours\' departure from the profile carries forward and fades', () => {
    // The same days, but the last 3 hours ran 60 g/kWh above the shape.
    const s = series(28, i => shape(i) + (i >= 28 * 24 - 3 ? 60 : 0))
    const f = model(s, T0 + 28 * DAY, 48)
    const lift = f.map((v, h) => v - shape(h))
    // The profile itself moved a little (those 3 hours are in it); the rest is the carried level.
    // 60 above, less the quarter of it the newest day gave the profile, × 0.95 for the first hour ahead: about 43.
    expect(lift[0]).toBeGreaterThan(40)
    // At 20:00, an hour the lift never touched: 0.95 per hour ahead of what is left.
    expect(lift[20]).toBeCloseTo(lift[0]! * 0.95 ** 20, 6)
    expect(lift[44]).toBeCloseTo(lift[0]! * 0.95 ** 44, 6)
  })
})

describe('profile by day type, with a relative level', () => {
  /** Weekdays on the clean shape, Saturdays and Sundays at half of it. */
  const weekly = (i: number) => shape(i) * (Math.floor(i / 24) % 7 >= 5 ? 0.5 : 1)
  // 26 days from a Monday: the history ends on a Friday at 24:00, the origin is a Saturday.
  const s = series(26, weekly)
  const saturday = T0 + 26 * DAY

  test('with no weight on the other kind of day, a weekend is forecast from weekends alone, and Monday from weekdays', () => {
    const f = ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: false, otherDayType: 0, levelHours: 2, relativeLevel: true })(s, saturday, 72)
    f.forEach((v, h) => { expect(v).toBeCloseTo(weekly(26 * 24 + h), 9) })
  })

  test('at half weight, a weekend hour lies between the weekend\'s and the single profile\'s', () => {
    const one = ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: false })(s, saturday, 24)
    const half = ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: false, otherDayType: 0.5 })(s, saturday, 24)
    for (let h = 0; h < 24; h++) {
      expect(half[h]).toBeGreaterThan(weekly(26 * 24 + h))
      expect(half[h]).toBeLessThan(one[h]!)
    }
  })

  test('the last hours\' departure is carried as a ratio to the profile, fading per hour ahead', () => {
    // The last 2 hours ran 20 % above the shape.
    const lifted = series(28, i => shape(i) * (i >= 28 * 24 - 2 ? 1.2 : 1))
    const f = ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: false, levelHours: 2, relativeLevel: true })(lifted, T0 + 28 * DAY, 48)
    // Hours 0–21 of the profile are untouched by the lift: there the forecast is the shape times (1 + carried ratio).
    const ratio = f.map((v, h) => v / shape(h) - 1)
    expect(ratio[0]).toBeGreaterThan(0.1)
    expect(ratio[0]).toBeLessThan(0.2)
    expect(ratio[20]).toBeCloseTo(ratio[0]! * 0.95 ** 20, 9)
    expect(ratio[24 + 12]).toBeCloseTo(ratio[0]! * 0.95 ** 36, 9)
    // In g/kWh the lift is in proportion to the hour's own level: more at night (300) than at midday (150).
    expect((f[24]! - shape(0)) / (f[36]! - shape(12))).toBeCloseTo(2 / 0.95 ** 12, 6)
  })

  test('greenshift\'s planning model reads nothing at or after its origin, a Saturday whose weekend profile it uses', () => {
    const r = noise(11)
    const full = series(40, i => weekly(i) * (1 + 0.1 * r()))
    const origin = T0 + 33 * DAY // a Saturday
    const cut = historyBefore(full, origin)
    expect(GREENSHIFT_MODEL.forecast(full, origin, 96)).not.toEqual(GREENSHIFT_MODEL.forecast(cut, origin, 96)) // the full series would tell it more
    // Given everything up to the origin, the hours after it altered or not: the same forecast.
    const altered = { start: T0, values: [...cut.values, ...Array.from({ length: 7 * 24 }, () => 9999)] }
    expect(GREENSHIFT_MODEL.forecast(historyBefore(altered, origin), origin, 96)).toEqual(GREENSHIFT_MODEL.forecast(cut, origin, 96))
    // And the series cut 5 hours earlier forecasts the same origin without the hours it no longer has.
    const earlier = GREENSHIFT_MODEL.forecast(historyBefore(full, origin - 5 * HOUR_MS), origin, 96)
    expect(earlier.p50.every(Number.isFinite)).toBe(true)
  })
})

describe('bands', () => {
  test('p10 ≤ p50 ≤ p90, and on noise of ±20 % around a daily shape about 80 % of actuals fall inside', () => {
    const r = noise(7)
    const s = series(120, i => shape(i) * (1 + 0.2 * r()))
    const model = bandedModel('profile', ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: false }))
    let inside = 0
    let n = 0
    for (let o = T0 + 60 * DAY; o < T0 + 116 * DAY; o += DAY) {
      const f = model.forecast(historyBefore(s, o), o, 96)
      for (let h = 0; h < 96; h++) {
        expect(f.p10[h]).toBeLessThanOrEqual(f.p50[h]!)
        expect(f.p50[h]).toBeLessThanOrEqual(f.p90[h]!)
        const a = s.values[(o - T0) / HOUR_MS + h]!
        if (f.p10[h]! <= a && a <= f.p90[h]!) inside++
        n++
      }
    }
    expect(inside / n).toBeGreaterThan(0.7)
    expect(inside / n).toBeLessThan(0.9)
  })

  test('quantiles interpolate between ranks', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3)
    expect(quantile([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 12)
    expect(quantile([], 0.5)).toBeNaN()
  })
})

test('every model reads only the history it is given: the same forecast whatever comes after the origin', () => {
  const r = noise(3)
  const full = series(60, i => shape(i) * (1 + 0.1 * r()))
  const origin = T0 + 50 * DAY
  const cut = historyBefore(full, origin)
  const altered = { start: T0, values: [...cut.values, ...Array.from({ length: 10 * 24 }, () => 9999)] }
  for (const m of [persistence, ...MODELS]) {
    // Handed the cut history, or the cut history followed by nonsense it must not read.
    expect(m.forecast(historyBefore(altered, origin), origin, 96), m.name).toEqual(m.forecast(cut, origin, 96))
  }
})

test('the ridge stack learns how much to trust each base forecaster: a zone whose days repeat a week apart follows last week', async () => {
  const { ridgeStack } = await import('../../src/forecast/models/ridge.js')
  // Weekdays at 300 g/kWh, weekends at 100: yesterday misleads on Saturdays and Mondays, last week never does.
  const week = (i: number) => Math.floor(i / 24) % 7 >= 5 ? 100 : 300
  const s = series(68, week)
  const origin = T0 + 68 * DAY // a Saturday
  const ridge = ridgeStack('ridge', [seasonalNaive(24), seasonalNaive(168)]).forecast(s, origin, 72)
  const yesterday = seasonalNaive(24)(s, origin, 72)
  for (let h = 0; h < 72; h++) {
    const actual = week(68 * 24 + h)
    // Within the ridge penalty's pull (a few %), where yesterday alone is off by 200 g/kWh on Saturday and Monday.
    expect(Math.abs(ridge.p50[h]! - actual) / actual).toBeLessThan(0.1)
  }
  expect(yesterday[0]).toBe(300)
})

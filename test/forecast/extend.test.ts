import { describe, expect, test } from 'vitest'
import type { Series } from '../../src/core/types.js'
import { extendWithModel, MIN_HISTORY_HOURS, SEAM_HOURS } from '../../src/forecast/extend.js'
import { GREENSHIFT_MODEL } from '../../src/forecast/index.js'
import { HOUR_MS, type Hourly } from '../../src/forecast/model.js'

const T = Date.UTC(2026, 11, 1)
/** 28 days of a daily cycle, 200 ± 100 g/kWh, ending at T. */
const history: Hourly = { start: T - 28 * 24 * HOUR_MS, values: Array.from({ length: 28 * 24 }, (_, i) => 200 + 100 * Math.sin((2 * Math.PI * i) / 24)) }
const provider = (hours: number, g: number): Series => ({
  zone: 'DE', signal: 'average', source: 'electricitymaps:DE', version: '2026-12-01T00:00:00.000Z',
  points: Array.from({ length: hours }, (_, h) => ({ start: T + h * HOUR_MS, end: T + (h + 1) * HOUR_MS, gPerKwh: g }))
})

describe('extendWithModel', () => {
  test('a zone without a forecast: the model alone, hourly from where the history ends, with bands, labelled and no fallback', () => {
    const empty: Series = { zone: 'DE', signal: 'average', source: 'csv:de.csv', version: 'abc', points: [] }
    const out = extendWithModel(empty, history, T, T + 96 * HOUR_MS, GREENSHIFT_MODEL)!
    expect(out.source).toBe('model:greenshift-ew-profile@2026-12-01T00:00Z')
    expect(out.version).toBeUndefined()
    expect(out.fallbackFrom).toBeUndefined()
    expect(out.points).toHaveLength(96)
    expect(out.points[0]!.start).toBe(T)
    expect(out.points.at(-1)!.end).toBe(T + 96 * HOUR_MS)
    // A clean cycle is forecast closely, and every hour carries p10 ≤ p50 ≤ p90.
    for (const [h, p] of out.points.entries()) {
      expect(p.gPerKwh).toBeCloseTo(200 + 100 * Math.sin((2 * Math.PI * h) / 24), 0)
      expect(p.p10!).toBeLessThanOrEqual(p.gPerKwh)
      expect(p.p90!).toBeGreaterThanOrEqual(p.gPerKwh)
    }
  })

  test('a provider forecast ending early is extended past its horizon, joined at the seam without a jump', () => {
    const out = extendWithModel(provider(24, 500), history, T, T + 72 * HOUR_MS, GREENSHIFT_MODEL)!
    expect(out.source).toBe('electricitymaps:DE+model:greenshift-ew-profile@2026-12-01T00:00Z')
    expect(out.version).toBe('2026-12-01T00:00:00.000Z')
    expect(out.points.slice(0, 24).every(p => p.gPerKwh === 500 && p.p10 === undefined)).toBe(true)
    const model = extendWithModel({ ...provider(0, 0), points: [] }, history, T, T + 72 * HOUR_MS, GREENSHIFT_MODEL)!
    const at = (s: Series, h: number) => s.points.find(p => p.start === T + h * HOUR_MS)!.gPerKwh
    // Drawn towards 500 in the first hours after the seam, fading to the model's own values.
    const pull = (h: number) => (at(out, h) - at(model, h)) / (500 - at(model, 24))
    expect(pull(24)).toBeCloseTo(SEAM_HOURS / (SEAM_HOURS + 1))
    expect(pull(24 + SEAM_HOURS - 1)).toBeCloseTo(1 / (SEAM_HOURS + 1))
    expect(at(out, 24 + SEAM_HOURS)).toBe(at(model, 24 + SEAM_HOURS))
  })

  test('the seam can be given apart: a range starting after the provider\'s end is drawn as the whole would be', () => {
    const whole = extendWithModel(provider(24, 500), history, T, T + 72 * HOUR_MS, GREENSHIFT_MODEL)!
    const later: Series = { ...provider(0, 0), points: [] }
    const part = extendWithModel(later, history, T + 26 * HOUR_MS, T + 72 * HOUR_MS, GREENSHIFT_MODEL, { at: T + 24 * HOUR_MS, gPerKwh: 500 })!
    expect(part.points).toEqual(whole.points.filter(p => p.start >= T + 26 * HOUR_MS))
  })

  test('too little measured history, or a series already reaching the end: nothing to add', () => {
    const thin: Hourly = { start: T - (MIN_HISTORY_HOURS - 1) * HOUR_MS, values: new Array<number>(MIN_HISTORY_HOURS - 1).fill(300) }
    expect(extendWithModel({ ...provider(0, 0), points: [] }, thin, T, T + 24 * HOUR_MS, GREENSHIFT_MODEL)).toBeUndefined()
    expect(extendWithModel(provider(24, 500), history, T, T + 24 * HOUR_MS, GREENSHIFT_MODEL)).toBeUndefined()
  })

  test('the model sees nothing after its origin: values past the history\'s end change nothing before they are known', () => {
    const more: Hourly = { start: history.start, values: [...history.values, ...new Array<number>(48).fill(NaN)] }
    const a = extendWithModel({ ...provider(0, 0), points: [] }, history, T, T + 48 * HOUR_MS, GREENSHIFT_MODEL)!
    const b = extendWithModel({ ...provider(0, 0), points: [] }, more, T, T + 48 * HOUR_MS, GREENSHIFT_MODEL)!
    expect(b.points).toEqual(a.points)
  })
})

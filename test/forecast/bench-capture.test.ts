import { expect, test } from 'vitest'
import { captureFor } from '../../bench/forecast-capture.js'
import { GREENSHIFT_MODEL, persistence } from '../../src/forecast/index.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2022, 0, 3)

/** `days` of hourly points: 400 g/kWh, 100 from 03:00 to 04:00, except where `override` says. */
const points = (days: number, override: (i: number) => number | undefined = () => undefined) =>
  Array.from({ length: days * 24 }, (_, i) => ({ start: T0 + i * HOUR, end: T0 + (i + 1) * HOUR, gPerKwh: override(i) ?? (i % 24 === 3 ? 100 : 400) }))

test('on days that repeat, both the model and persistence capture the whole of the oracle\'s saving', () => {
  const r = captureFor('Z', points(40), T0 + 30 * 24 * HOUR, T0 + 40 * 24 * HOUR, GREENSHIFT_MODEL, persistence)
  // Every 6 h while arrival + 25 h fits in the 240 h span: 0, 6, …, 210.
  expect(r.jobs).toBe(36)
  expect(r.model).toBeCloseTo(100, 9)
  expect(r.persistence).toBeCloseTo(100, 9)
})

test('a one-day surprise in the test span (green at 08:00 on one day only) costs persistence the next day, the profile much less', () => {
  const surprise = points(40, i => Math.floor(i / 24) === 33 ? (i % 24 === 8 ? 100 : 400) : undefined)
  const r = captureFor('Z', surprise, T0 + 30 * 24 * HOUR, T0 + 40 * 24 * HOUR, GREENSHIFT_MODEL, persistence)
  expect(r.persistence!).toBeLessThan(100)
  expect(r.model!).toBeGreaterThan(r.persistence!)
})

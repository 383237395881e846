import { describe, expect, it } from 'vitest'
import type { IntensityPoint } from '../../src/core/types.js'
import { hourlyFromPoints } from '../../src/forecast/from-points.js'
import { HOUR_MS } from '../../src/forecast/model.js'
import { Y2022 } from './helpers.js'

const MIN = 60_000
const chained = (start: number, step: number, values: number[]): IntensityPoint[] =>
  values.map((g, i) => ({ start: start + i * step, end: start + (i + 1) * step, gPerKwh: g }))

describe('hourlyFromPoints', () => {
  it('keeps hourly rows as they are', () => {
    expect(hourlyFromPoints(chained(Y2022, HOUR_MS, [1, 2, 3]))).toEqual({ start: Y2022, values: [1, 2, 3] })
  })

  it('averages sub-hourly rows over each hour, weighted by time', () => {
    const points = chained(Y2022, 15 * MIN, [100, 200, 300, 400, 10, 20, 30, 40])
    expect(hourlyFromPoints(points)).toEqual({ start: Y2022, values: [250, 25] })
  })

  it('leaves an hour unknown when the rows skip it, rather than holding the last value', () => {
    // As parseIntensityFile chains them: the row before a gap lasts until the next row.
    const points: IntensityPoint[] = [
      { start: Y2022, end: Y2022 + HOUR_MS, gPerKwh: 1 },
      { start: Y2022 + HOUR_MS, end: Y2022 + 4 * HOUR_MS, gPerKwh: 2 },
      { start: Y2022 + 4 * HOUR_MS, end: Y2022 + 5 * HOUR_MS, gPerKwh: 5 }
    ]
    const { values } = hourlyFromPoints(points)
    expect(values.slice(0, 2)).toEqual([1, 2])
    expect(values.slice(2, 4).every(Number.isNaN)).toBe(true)
    expect(values[4]).toBe(5)
  })

  it('starts at the hour of the first row and averages a half-covered hour over its covered half', () => {
    const h = hourlyFromPoints(chained(Y2022 + 30 * MIN, HOUR_MS, [10, 20]))
    expect(h.start).toBe(Y2022)
    expect(h.values).toEqual([10, 15, 20])
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { prepare } from '../../src/core/series.js'
import { bestContiguousStart } from '../../src/core/window.js'
import { bruteCovered, bruteIntegral, HOUR, intervalsArb, meets, MIN, pointsArb, seriesOf, steps, T0 } from './helpers.js'

describe('bestContiguousStart', () => {
  const p = prepare(steps([300, 100, 100, 300, 50, 400]))

  it('finds the cheapest whole-point window', () => {
    // 2-h windows: [1 h, 3 h) costs 100 + 100 = 200 g·h/kWh, the least
    expect(bestContiguousStart(p, T0, T0 + 4 * HOUR, 2 * HOUR, [])).toEqual({ start: T0 + HOUR, integral: 200 * HOUR })
  })

  it('prices windows that start or end inside a point, earliest on ties', () => {
    // 90 min: from 1 h, 100 × 1 + 100 × 0.5 = 150; from 1.5 h also 150; earliest wins
    expect(bestContiguousStart(p, T0, T0 + 4.5 * HOUR, 90 * MIN, [])).toEqual({ start: T0 + HOUR, integral: 150 * HOUR })
    const flat = prepare(steps([7, 7, 7]))
    expect(bestContiguousStart(flat, T0 + 17 * MIN, T0 + HOUR, HOUR, [])?.start).toBe(T0 + 17 * MIN)
  })

  it('avoids blocked time', () => {
    // [1 h, 2 h) blocked: starts ≥ 2 h remain; from 3 h, 300 + 50 = 350 is the least
    const best = bestContiguousStart(p, T0, T0 + 4 * HOUR, 2 * HOUR, [{ start: T0 + HOUR, end: T0 + 2 * HOUR }])
    expect(best).toEqual({ start: T0 + 3 * HOUR, integral: 350 * HOUR })
  })

  it('starts right at the end of a block or ends right at its start', () => {
    // Hour 1 is cheap (10) but [1 h 20, 1 h 40) is blocked, so a 30-min window must end by 1 h 20
    // or start at 1 h 40: [0 h 50, 1 h 20) = 10 × 300 + 20 × 10 and [1 h 40, 2 h 10) = 20 × 10 +
    // 10 × 300 tie at 3,200 g·min/kWh, and the earlier wins.
    const cheap = prepare(steps([300, 10, 300]))
    const block = [{ start: T0 + HOUR + 20 * MIN, end: T0 + HOUR + 40 * MIN }]
    expect(bestContiguousStart(cheap, T0, T0 + 2 * HOUR, 30 * MIN, block)).toEqual({ start: T0 + 50 * MIN, integral: 3_200 * MIN })
  })

  it('keeps to covered time: gaps, the first point and the horizon', () => {
    const gappy = prepare(seriesOf([
      { start: T0, end: T0 + HOUR, gPerKwh: 50 },
      { start: T0 + 2 * HOUR, end: T0 + 4 * HOUR, gPerKwh: 100 }
    ]))
    // a 90-min window cannot use the cheap first hour (it would cross the gap)
    expect(bestContiguousStart(gappy, T0 - HOUR, T0 + 10 * HOUR, 90 * MIN, [])).toEqual({ start: T0 + 2 * HOUR, integral: 150 * HOUR })
    expect(bestContiguousStart(gappy, T0 - HOUR, T0 + 10 * HOUR, 3 * HOUR, [])).toBeUndefined()
  })

  it('is undefined with no feasible start', () => {
    expect(bestContiguousStart(p, T0 + 2 * HOUR, T0 + HOUR, HOUR, [])).toBeUndefined()
    expect(bestContiguousStart(p, T0, T0 + 5 * HOUR, HOUR, [{ start: T0 - HOUR, end: T0 + 7 * HOUR }])).toBeUndefined()
    expect(bestContiguousStart(prepare(seriesOf([])), T0, T0 + HOUR, HOUR, [])).toBeUndefined()
  })

  it('equals brute force over every start on a 1-minute grid (random series, gaps, blocks)', () => {
    const scenario = fc.record({
      points: pointsArb(T0, true),
      earliestMin: fc.integer({ min: -30, max: 300 }),
      spanMin: fc.integer({ min: 0, max: 600 }),
      durationMin: fc.integer({ min: 1, max: 240 }),
      blocked: intervalsArb(T0 - 30 * MIN, 900, 5)
    })
    fc.assert(fc.property(scenario, ({ points, earliestMin, spanMin, durationMin, blocked }) => {
      const earliest = T0 + earliestMin * MIN
      const latest = earliest + spanMin * MIN
      const d = durationMin * MIN
      let brute: { start: number, cost: number } | undefined
      for (let s = earliest; s <= latest; s += MIN) {
        if (!bruteCovered(points, s, s + d) || meets({ start: s, end: s + d }, blocked)) continue
        const cost = bruteIntegral(points, s, s + d)
        if (brute === undefined || cost < brute.cost) brute = { start: s, cost }
      }
      const got = bestContiguousStart(prepare(seriesOf(points)), earliest, latest, d, blocked)
      if (brute === undefined) return got === undefined
      expect(got).toBeDefined()
      expect(bruteCovered(points, got!.start, got!.start + d)).toBe(true)
      expect(meets({ start: got!.start, end: got!.start + d }, blocked)).toBe(false)
      expect(got!.integral).toBe(bruteIntegral(points, got!.start, got!.start + d))
      // integer intensities on a minute grid: integrals are exact, so equality and earliest-on-ties are exact
      expect(got).toEqual({ start: brute.start, integral: brute.cost })
      return true
    }), { numRuns: 500 })
  })
})

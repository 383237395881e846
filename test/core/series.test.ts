import { describe, expect, it } from 'vitest'
import { coveredFrom, coveredUntil, covers, fillGaps, integral, InvalidSeriesError, normalize, prepare, withFallback } from '../../src/core/series.js'
import { HOUR, MIN, seriesOf, steps, T0 } from './helpers.js'

const pt = (startMin: number, endMin: number, g: number) => ({ start: T0 + startMin * MIN, end: T0 + endMin * MIN, gPerKwh: g })

describe('normalize', () => {
  it('sorts, drops zero-length points and keeps gaps', () => {
    expect(normalize([pt(60, 120, 2), pt(0, 30, 1), pt(30, 30, 9)])).toEqual([pt(0, 30, 1), pt(60, 120, 2)])
  })
  it('rejects overlaps, reversed points and non-finite values', () => {
    expect(() => normalize([pt(0, 60, 1), pt(30, 90, 2)])).toThrow(InvalidSeriesError)
    expect(() => normalize([pt(60, 0, 1)])).toThrow(/ends before it starts/)
    expect(() => normalize([pt(0, 60, Number.NaN)])).toThrow(InvalidSeriesError)
  })
  it('does not modify its input', () => {
    const input = [pt(60, 120, 2), pt(0, 30, 1)]
    normalize(input)
    expect(input[0]).toEqual(pt(60, 120, 2))
  })
})

describe('prepare and integral', () => {
  const p = prepare(seriesOf([pt(0, 60, 100), pt(60, 90, 200), pt(120, 180, 50)]))

  it('integrates exactly over partial points, in g·ms/kWh', () => {
    // 30 min at 100 + 30 min at 200 = 9,000 g·min/kWh
    expect(integral(p, T0 + 30 * MIN, T0 + 90 * MIN)).toBe(9_000 * MIN)
    expect(integral(p, T0 + 10 * MIN, T0 + 20 * MIN)).toBe(1_000 * MIN)
    expect(integral(p, T0, T0 + 180 * MIN)).toBe((6_000 + 6_000 + 3_000) * MIN)
  })

  it('counts uncovered time as 0 and reports coverage', () => {
    expect(integral(p, T0 + 80 * MIN, T0 + 130 * MIN)).toBe((10 * 200 + 10 * 50) * MIN)
    expect(p.gaps).toEqual([{ start: T0 + 90 * MIN, end: T0 + 120 * MIN }])
    expect(covers(p, T0, T0 + 90 * MIN)).toBe(true)
    expect(covers(p, T0 + 80 * MIN, T0 + 130 * MIN)).toBe(false)
    expect(covers(p, T0 + 120 * MIN, T0 + 180 * MIN)).toBe(true)
    expect(covers(p, T0 + 120 * MIN, T0 + 181 * MIN)).toBe(false)
    expect(coveredFrom(p)).toBe(T0)
    expect(coveredUntil(p)).toBe(T0 + 180 * MIN)
  })

  it('sorts unsorted input and handles an empty series', () => {
    const q = prepare(seriesOf([pt(60, 120, 2), pt(0, 60, 1)]))
    expect(Array.from(q.starts)).toEqual([T0, T0 + HOUR])
    const empty = prepare(seriesOf([]))
    expect(coveredUntil(empty)).toBe(-Infinity)
    expect(integral(empty, T0, T0 + HOUR)).toBe(0)
  })
})

describe('withFallback', () => {
  it('repeats the last 24 h, shifted by whole days, up to `until`, and labels it', () => {
    const values = Array.from({ length: 48 }, (_, h) => h)
    const s = steps(values)
    const out = withFallback(s, T0 + 60 * HOUR + 30 * MIN)
    expect(out.fallbackFrom).toBe(T0 + 48 * HOUR)
    expect(out.points.slice(0, 48)).toEqual(s.points)
    const extra = out.points.slice(48)
    // hours 48..60 repeat hours 24..36; the last one is clipped at `until`
    expect(extra.map(p => p.gPerKwh)).toEqual([24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36])
    expect(extra[0]).toEqual({ start: T0 + 48 * HOUR, end: T0 + 49 * HOUR, gPerKwh: 24 })
    expect(extra.at(-1)).toEqual({ start: T0 + 60 * HOUR, end: T0 + 60 * HOUR + 30 * MIN, gPerKwh: 36 })
    expect(() => normalize(out.points)).not.toThrow()
  })

  it('repeats a series shorter than a day cyclically by its own span', () => {
    const out = withFallback(steps([1, 2, 3]), T0 + 8 * HOUR)
    expect(out.points.map(p => p.gPerKwh)).toEqual([1, 2, 3, 1, 2, 3, 1, 2])
    expect(out.points.at(-1)!.end).toBe(T0 + 8 * HOUR)
    expect(out.fallbackFrom).toBe(T0 + 3 * HOUR)
  })

  it('fills gaps of the repeated profile with the value before them, cyclically', () => {
    // points at 10 over [0, 1 h) and 20 over [2 h, 3 h): the gap [1 h, 2 h) repeats as 10
    const s = seriesOf([pt(0, 60, 10), pt(120, 180, 20)])
    const out = withFallback(s, T0 + 6 * HOUR)
    expect(out.points.slice(2)).toEqual([pt(180, 300, 10), pt(300, 360, 20)])
  })

  it('carries the last value over a gap at the start of the last day', () => {
    // 30 h of data whose last day [6 h, 30 h) starts inside a gap [5 h, 7 h): the head [6 h, 7 h)
    // repeats as 7, the value just before it in the cycle (the last point), not as 1
    const s = seriesOf([pt(0, 300, 1), pt(420, 1800, 7)])
    const out = withFallback(s, T0 + 32 * HOUR)
    expect(out.points.slice(2)).toEqual([pt(1800, 1860, 7), pt(1860, 1920, 7)])
  })

  it('leaves a series alone when it reaches `until` or has no points', () => {
    const s = steps([1, 2])
    expect(withFallback(s, T0 + 2 * HOUR)).toBe(s)
    const empty = seriesOf([])
    expect(withFallback(empty, T0 + HOUR)).toBe(empty)
  })

  it('keeps an earlier fallbackFrom', () => {
    const s = { ...steps([1, 2]), fallbackFrom: T0 + HOUR }
    expect(withFallback(s, T0 + 4 * HOUR).fallbackFrom).toBe(T0 + HOUR)
  })
})

describe('fillGaps', () => {
  it('fills holes with the value before them and the head with the first value', () => {
    const s = seriesOf([pt(0, 60, 10), pt(120, 180, 20)])
    const { series, filled } = fillGaps(s, T0 - 30 * MIN)
    expect(filled).toEqual([{ start: T0 - 30 * MIN, end: T0 }, { start: T0 + HOUR, end: T0 + 2 * HOUR }])
    expect(series.points).toEqual([pt(-30, 0, 10), pt(0, 60, 10), pt(60, 120, 10), pt(120, 180, 20)])
  })
  it('returns a gap-free series as is', () => {
    const s = steps([1, 2])
    expect(fillGaps(s, T0).series).toBe(s)
  })
})

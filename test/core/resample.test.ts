import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { gridOf, newestCovering, newestGrid, oneResolution, resample, type FetchedPoint } from '../../src/core/resample.js'
import { InvalidSeriesError, normalize } from '../../src/core/series.js'
import type { IntensityPoint } from '../../src/core/types.js'
import { bruteIntegral, HOUR, MIN, T0 } from './helpers.js'

const pt = (startMin: number, endMin: number, g: number): IntensityPoint => ({ start: T0 + startMin * MIN, end: T0 + endMin * MIN, gPerKwh: g })
const at = (fetchedAt: number, source: string) => (p: IntensityPoint): FetchedPoint & { source: string } => ({ ...p, fetchedAt, source })
/** `n` points of `stepMin` minutes from `fromMin`, valued by `value(i)`. */
const run = (fromMin: number, stepMin: number, n: number, value: (i: number) => number) =>
  Array.from({ length: n }, (_, i) => pt(fromMin + i * stepMin, fromMin + (i + 1) * stepMin, value(i)))
const strip = (ps: ReadonlyArray<IntensityPoint & { source?: string }>) => ps.map(p => [(p.start - T0) / MIN, (p.end - T0) / MIN, p.gPerKwh, p.source])

describe('newestCovering', () => {
  it('after a fall from 30-minute to hourly points, the hourly fetch wins wherever it reaches and the old points fill the rest', () => {
    const halfHours = run(0, 30, 8, i => 100 + i).map(at(1, 'uk'))
    const hours = run(0, 60, 3, i => 200 + i).map(at(2, 'replay'))
    expect(strip(newestCovering([...halfHours, ...hours]))).toEqual([
      [0, 60, 200, 'replay'], [60, 120, 201, 'replay'], [120, 180, 202, 'replay'], [180, 210, 106, 'uk'], [210, 240, 107, 'uk']
    ])
  })

  it('an older coarse point is cut to the stretch a newer fetch leaves uncovered; gaps covered by nobody stay gaps', () => {
    const old = [pt(0, 60, 50), pt(60, 120, 60), pt(180, 240, 70)].map(at(1, 'old'))
    const fresh = [pt(0, 30, 10), pt(75, 90, 20)].map(at(2, 'new'))
    expect(strip(newestCovering([...fresh, ...old]))).toEqual([
      [0, 30, 10, 'new'], [30, 60, 50, 'old'], [60, 75, 60, 'old'], [75, 90, 20, 'new'], [90, 120, 60, 'old'], [180, 240, 70, 'old']
    ])
  })

  it('between two rows of one fetch instant, the later in the input wins', () => {
    expect(strip(newestCovering([pt(0, 60, 1), pt(0, 60, 2)].map(at(5, 'x'))))).toEqual([[0, 60, 2, 'x']])
  })

  it('gives, at every instant, the value of the newest point covering it, without overlaps', () => {
    const point = fc.record({ start: fc.integer({ min: 0, max: 20 }), len: fc.integer({ min: 1, max: 8 }), g: fc.integer({ min: 0, max: 500 }), fetchedAt: fc.integer({ min: 0, max: 5 }) })
    fc.assert(fc.property(fc.array(point, { maxLength: 30 }), raw => {
      const points = raw.map(r => ({ ...pt(r.start * 15, (r.start + r.len) * 15, r.g), fetchedAt: r.fetchedAt }))
      const merged = newestCovering(points)
      expect(() => normalize(merged)).not.toThrow()
      for (let m = 0; m < 28 * 15; m += 5) {
        const t = T0 + m * MIN
        const covering = points.map((p, i) => ({ p, i })).filter(({ p }) => p.start <= t && t < p.end)
        const want = covering.reduce<typeof covering[number] | undefined>((b, c) => b === undefined || c.p.fetchedAt >= b.p.fetchedAt ? c : b, undefined)
        expect(merged.find(p => p.start <= t && t < p.end)?.gPerKwh).toBe(want?.p.gPerKwh)
      }
    }))
  })
})

describe('gridOf and newestGrid', () => {
  it('takes the most common length, never a clipped edge, from the first point of that length', () => {
    expect(gridOf([pt(17, 30, 1), ...run(30, 30, 4, () => 1), pt(150, 167, 1)])).toEqual({ origin: T0 + 30 * MIN, step: 30 * MIN })
    expect(gridOf([pt(0, 60, 1), pt(60, 90, 1)])).toEqual({ origin: T0, step: HOUR })
    expect(gridOf([])).toBeUndefined()
  })

  it('is the grid of the newest fetch', () => {
    const points = [...run(0, 30, 8, () => 1).map(at(1, 'uk')), ...run(0, 60, 2, () => 1).map(at(2, 'replay'))]
    expect(newestGrid(points)).toEqual({ origin: T0, step: HOUR })
  })
})

describe('resample', () => {
  const hourly = { origin: T0, step: HOUR }

  it('averages finer points time-weighted and splits coarser ones, so integrals over whole cells are exact', () => {
    const points = [pt(0, 30, 100), pt(30, 60, 200), pt(60, 75, 40), pt(75, 120, 80)]
    expect(resample(points, hourly)).toEqual([pt(0, 60, 150), pt(60, 120, 70)])
    expect(resample([pt(0, 60, 90)], { origin: T0, step: 30 * MIN })).toEqual([pt(0, 30, 90), pt(30, 60, 90)])
  })

  it('returns points already on the grid unchanged, including clipped edges and gaps', () => {
    const points = [pt(20, 60, 7.1), pt(60, 120, 0.3), pt(180, 240, 9.7), pt(240, 250, 1)]
    expect(resample(points, hourly)).toEqual(points)
  })

  it('keeps the covered stretches of a cell with a hole, so no value is invented for the hole', () => {
    expect(resample([pt(0, 15, 100), pt(45, 60, 300)], hourly)).toEqual([pt(0, 15, 200), pt(45, 60, 200)])
  })

  it('keeps the integral of every span of whole cells, and of the whole series', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 1, maxLength: 40 }), fc.constantFrom(5, 15, 30), (values, stepMin) => {
      const points = run(0, stepMin, values.length, i => values[i]!)
      const out = resample(points, hourly)
      const end = T0 + values.length * stepMin * MIN
      expect(bruteIntegral(out, T0, end)).toBeCloseTo(bruteIntegral(points, T0, end), 6)
      for (let h = 0; h * HOUR < end - T0; h++) {
        expect(bruteIntegral(out, T0, T0 + h * HOUR)).toBeCloseTo(bruteIntegral(points, T0, T0 + h * HOUR), 6)
      }
    }))
  })
})

describe('oneResolution', () => {
  it('puts one answer on its own most common resolution', () => {
    const mixed = [...run(0, 60, 3, () => 100), pt(180, 195, 10), pt(195, 210, 30), pt(210, 240, 50)]
    expect(oneResolution(mixed)).toEqual([...run(0, 60, 3, () => 100), pt(180, 240, 35)])
  })

  it('refuses overlapping, reversed or non-finite points', () => {
    expect(() => oneResolution([pt(0, 30, 1), pt(0, 60, 2)])).toThrow(InvalidSeriesError)
    expect(() => oneResolution([pt(30, 0, 1)])).toThrow(InvalidSeriesError)
    expect(() => oneResolution([pt(0, 30, Number.POSITIVE_INFINITY)])).toThrow(InvalidSeriesError)
  })
})

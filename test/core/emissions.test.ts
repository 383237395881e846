import { describe, expect, it } from 'vitest'
import { energyKwh, gramsFromIntegral, gramsOver, jobPowerKw, powerSplit, UncoveredIntervalError } from '../../src/core/emissions.js'
import { HOUR, MIN, pool, seriesOf, steps, T0 } from './helpers.js'

describe('energyKwh', () => {
  it('is gpus × W × hours / 1000 × pue', () => {
    expect(energyKwh(1, 300, 1, 240 * HOUR)).toBe(72)
    // 8 × 400 W for 90 min at pue 1.25: 3.2 kW × 1.5 h × 1.25 = 6 kWh
    expect(energyKwh(8, 400, 1.25, 90 * MIN)).toBeCloseTo(6, 12)
  })
})

describe('gramsOver', () => {
  it('300 W for 240 h at 0.5 kg/kWh is 36 kg', () => {
    const flat = steps([500], 240 * HOUR)
    const kw = energyKwh(1, 300, 1, 240 * HOUR) / 240
    expect(gramsOver(flat, [{ start: T0, end: T0 + 240 * HOUR }], kw)).toBeCloseTo(36_000, 9)
  })

  it('0.694 kWh at 82.5 g/kWh is 57.3 g', () => {
    const grams = gramsOver(steps([82.5]), [{ start: T0, end: T0 + HOUR }], 0.694)
    expect(grams).toBeCloseTo(57.255, 9)
    expect(Math.round(grams * 10) / 10).toBe(57.3)
  })

  it('counts partial points by their overlap', () => {
    // [0, 30) at 100 and [30, 60) at 200; 15 min of each at 1 kW: 25 + 50 = 75 g
    const s = steps([100, 200], 30 * MIN)
    expect(gramsOver(s, [{ start: T0 + 15 * MIN, end: T0 + 45 * MIN }], 1)).toBeCloseTo(75, 12)
  })

  it('sums several segments', () => {
    const s = steps([100, 200, 300])
    const segs = [{ start: T0, end: T0 + 30 * MIN }, { start: T0 + 2 * HOUR, end: T0 + 3 * HOUR }]
    // 2 kW: 100 × 0.5 × 2 + 300 × 1 × 2 = 700 g
    expect(gramsOver(s, segs, 2)).toBeCloseTo(700, 12)
  })

  it('throws UncoveredIntervalError for a gap or time past the horizon', () => {
    const s = seriesOf([{ start: T0, end: T0 + HOUR, gPerKwh: 100 }, { start: T0 + 2 * HOUR, end: T0 + 3 * HOUR, gPerKwh: 100 }])
    expect(() => gramsOver(s, [{ start: T0 + 30 * MIN, end: T0 + 90 * MIN }], 1)).toThrow(UncoveredIntervalError)
    expect(() => gramsOver(s, [{ start: T0 + 2 * HOUR, end: T0 + 4 * HOUR }], 1)).toThrow(UncoveredIntervalError)
    expect(() => gramsOver(s, [{ start: T0 - MIN, end: T0 + HOUR }], 1)).toThrow(/zone Z/)
    try {
      gramsOver(s, [{ start: T0, end: T0 + 3 * HOUR }], 1)
    } catch (e) {
      expect(e).toMatchObject({ code: 'UNCOVERED_INTERVAL', zone: 'Z', interval: { start: T0, end: T0 + 3 * HOUR } })
    }
    expect(gramsOver(s, [{ start: T0 + 2 * HOUR, end: T0 + 3 * HOUR }], 1)).toBeCloseTo(100, 12)
  })
})

describe('gramsFromIntegral', () => {
  it('turns g·ms/kWh at kW into grams', () => {
    // 100 g/kWh for one hour = 3.6e8 g·ms/kWh; at 2 kW that is 200 g
    expect(gramsFromIntegral(100 * HOUR, 2)).toBe(200)
  })
})

describe('jobPowerKw', () => {
  const p = pool('a', { wattsPerGpu: 400, pue: 1.2 })
  it('uses the pool power model by default', () => {
    expect(jobPowerKw({ gpus: 8, durationMs: HOUR }, p)).toBeCloseTo(3.84, 12)
  })
  it('takes the job wattsPerGpu override', () => {
    expect(jobPowerKw({ gpus: 2, wattsPerGpu: 250, durationMs: HOUR }, p)).toBeCloseTo(0.6, 12)
  })
  it('spreads a total energyKwh override (IT energy) over the run, × PUE as watts are', () => {
    expect(jobPowerKw({ gpus: 8, energyKwh: 10, wattsPerGpu: 250, durationMs: 2 * HOUR }, p)).toBeCloseTo(6, 12)
  })
  it('adds the host: gpus × hostWattsPerGpu × PUE, and splits an energyKwh override in the pool\'s proportions', () => {
    const withHost = { ...p, hostWattsPerGpu: 100 }
    expect(powerSplit({ gpus: 8, durationMs: HOUR }, withHost)).toEqual({ gpuKw: expect.closeTo(3.84, 12), hostKw: expect.closeTo(0.96, 12) })
    expect(powerSplit({ gpus: 8, energyKwh: 10, durationMs: 2 * HOUR }, withHost)).toEqual({ gpuKw: expect.closeTo(4.8, 12), hostKw: expect.closeTo(1.2, 12) })
  })
})

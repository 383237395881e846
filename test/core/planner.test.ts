import { describe, expect, it } from 'vitest'
import { latestSafeStart, PlanInputError, planJob, planJobs, type PoolView } from '../../src/core/planner.js'
import type { PlanOutcome, Pool, Reservation, Series } from '../../src/core/types.js'
import { HOUR, MIN, pool, request, seriesOf, steps, T0 } from './helpers.js'

const view = (p: Pool, series: Series, reservations: Reservation[] = []): PoolView => ({ pool: p, series: { ...series, zone: p.zone }, reservations })
const ok = (o: PlanOutcome) => {
  if (!o.ok) throw new Error(`expected a plan, got ${o.reason}: ${o.detail}`)
  return o
}
const fail = (o: PlanOutcome) => {
  if (o.ok) throw new Error('expected a failure')
  return o
}

// 1 GPU × 500 W × pue 1 = 0.5 kW in every pool unless said otherwise
const a = pool('a')
const b = pool('b')

describe('planJob', () => {
  it('picks the pool and window with the least CO2e and prices the baseline on the first pool', () => {
    const views = [view(a, steps([400, 400, 100, 400, 400, 400])), view(b, steps([300, 300, 300, 300, 300, 300]))]
    const out = ok(planJob(request({ pools: ['a', 'b'] }), views, T0))
    expect(out.placement).toEqual({
      pool: 'a', zone: 'zone-a', segments: [{ start: T0 + 2 * HOUR, end: T0 + 3 * HOUR }], energyKwh: 0.5,
      grams: 50, signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: 'test', usesFallback: false
    })
    expect(out.baseline).toMatchObject({ pool: 'a', segments: [{ start: T0, end: T0 + HOUR }], grams: 200, energyKwh: 0.5, usesFallback: false })
    // 6-h window, 10-min margin, 1-h job
    expect(out.latestSafeStart).toBe(T0 + 4 * HOUR + 50 * MIN)
  })

  it('breaks ties by earlier start, then by preference order', () => {
    const early = view(b, steps([100, 300, 300]))
    const late = view(a, steps([300, 100, 300]))
    expect(ok(planJob(request({ pools: ['a', 'b'] }), [late, early], T0)).placement.pool).toBe('b')
    const flat = [view(a, steps([300, 300, 300])), view(b, steps([300, 300, 300]))]
    expect(ok(planJob(request({ pools: ['b', 'a'] }), flat, T0)).placement).toMatchObject({ pool: 'b', segments: [{ start: T0, end: T0 + HOUR }] })
  })

  it('weighs each pool by its own power model', () => {
    // b is greener per kWh (200 vs 300) but draws 1.6 kW (800 W × pue 2) against a's 0.5 kW
    const views = [view(a, steps([300, 300])), view(pool('b', { wattsPerGpu: 800, pue: 2 }), steps([200, 200]))]
    const out = ok(planJob(request({ pools: ['a', 'b'], deadline: T0 + 2 * HOUR }), views, T0))
    expect(out.placement).toMatchObject({ pool: 'a', grams: 150 })
  })

  it('only compares pools on the baseline pool’s signal', () => {
    const marginal = view(b, steps([1, 1, 1], HOUR, T0, 'marginal'))
    const average = view(a, steps([300, 300, 300]))
    expect(ok(planJob(request({ pools: ['a', 'b'] }), [average, marginal], T0)).placement).toMatchObject({ pool: 'a', signal: 'average' })
    expect(ok(planJob(request({ pools: ['b', 'a'] }), [average, marginal], T0)).placement).toMatchObject({ pool: 'b', signal: 'marginal' })
  })

  it('only compares pools whose series counts the same gas and factor type as the baseline pool’s', () => {
    // Same average signal, but b's values are CO2 alone (a direct factor): 100 gCO2 is not "less" than 300 gCO2e.
    const co2e = view(a, { ...steps([300, 300, 300]), gas: 'co2e', factorType: 'lifecycle', version: 'sha256:00000000000000aa' })
    const co2 = view(b, { ...steps([100, 100, 100]), gas: 'co2', factorType: 'direct', version: '2026-11-23T10:00:00.000Z' })
    const direct = view(pool('c'), { ...steps([100, 100, 100]), gas: 'co2e', factorType: 'direct' })
    const out = ok(planJob(request({ pools: ['a', 'b', 'c'] }), [co2e, co2, direct], T0))
    expect(out.placement).toMatchObject({ pool: 'a', grams: 150, gas: 'co2e', factorType: 'lifecycle', source: 'test@sha256:00000000000000aa' })
    expect(out.baseline).toMatchObject({ pool: 'a', gas: 'co2e', factorType: 'lifecycle' })
    expect(ok(planJob(request({ pools: ['b', 'a', 'c'] }), [co2e, co2, direct], T0)).placement)
      .toMatchObject({ pool: 'b', gas: 'co2', factorType: 'direct', source: 'test@2026-11-23T10:00:00.000Z' })
    // A series that states no labels is read as the defaults of its signal (co2e/lifecycle): it competes with a.
    expect(ok(planJob(request({ pools: ['a', 'd'] }), [co2e, view(pool('d'), steps([100, 100, 100]))], T0)).placement).toMatchObject({ pool: 'd' })
  })

  it('keeps a safety margin before the deadline, shrinking it for tight jobs', () => {
    // cheapest at the very end: the job starts at the latest safe start, not later
    const views = [view(a, steps([300, 300, 300, 10]))]
    const out = ok(planJob(request({ deadline: T0 + 4 * HOUR }), views, T0))
    expect(out.placement.segments).toEqual([{ start: T0 + 2 * HOUR + 50 * MIN, end: T0 + 3 * HOUR + 50 * MIN }])
    expect(out.latestSafeStart).toBe(T0 + 2 * HOUR + 50 * MIN)
    // 60 min of work in a 65-min window keeps only a 5-min margin
    const tight = request({ deadline: T0 + 65 * MIN })
    expect(latestSafeStart(tight)).toBe(T0 + 0 * MIN)
    expect(latestSafeStart(tight, { safetyMarginMs: 0 })).toBe(T0 + 5 * MIN)
    expect(latestSafeStart(request({ deadline: T0 + 3 * HOUR }), { safetyMarginMs: 30 * MIN })).toBe(T0 + 90 * MIN)
    expect(ok(planJob(tight, views, T0)).placement.segments[0]!.start).toBe(T0)
  })

  it('prices windows past the horizon on the labelled fallback instead of failing', () => {
    // a day of data cheap at 03:00; the job may only run on the next day
    const day = steps(Array.from({ length: 24 }, (_, h) => (h === 3 ? 10 : 300)))
    const req = request({ earliestStart: T0 + 20 * HOUR, deadline: T0 + 40 * HOUR })
    const out = ok(planJob(req, [view(a, day)], T0))
    expect(out.placement).toMatchObject({ segments: [{ start: T0 + 27 * HOUR, end: T0 + 28 * HOUR }], grams: 5, usesFallback: true })
    expect(out.baseline).toMatchObject({ grams: 150, usesFallback: false })
    // a stale series (it ended yesterday) still plans
    const stale = ok(planJob(request({ earliestStart: T0 + 50 * HOUR, deadline: T0 + 53 * HOUR }), [view(a, day)], T0))
    expect(stale.placement.usesFallback).toBe(true)
    expect(stale.baseline.usesFallback).toBe(true)
  })

  it('labels a window that straddles the horizon', () => {
    // data [10, 300, 50] to 03:00, then the fallback repeats it (a series shorter than a day cycles
    // by its own span): [02:00, 04:00) = 50 + 10 = 60 is the cheapest 2 h, half forecast, half fallback
    const out = ok(planJob(request({ durationMs: 2 * HOUR, deadline: T0 + 6 * HOUR }), [view(a, steps([10, 300, 50]))], T0))
    expect(out.placement).toMatchObject({ segments: [{ start: T0 + 2 * HOUR, end: T0 + 4 * HOUR }], grams: 30, usesFallback: true })
    expect(out.baseline.usesFallback).toBe(false)
  })

  it('accepts points in any order', () => {
    const s = steps([300, 10, 300])
    const out = ok(planJob(request({ deadline: T0 + 3 * HOUR }), [view(a, { ...s, points: [...s.points].reverse() })], T0))
    expect(out.placement.segments[0]!.start).toBe(T0 + HOUR)
  })

  it('fills holes in the data and labels what touches them', () => {
    const late = seriesOf([{ start: T0 + HOUR, end: T0 + 3 * HOUR, gPerKwh: 200 }])
    const out = ok(planJob(request({ deadline: T0 + 3 * HOUR }), [view(a, late)], T0))
    // [T0, T0 + 1 h) takes the first value, 200, and is labelled
    expect(out.baseline).toMatchObject({ grams: 100, usesFallback: true })
    expect(out.placement.segments[0]!.start).toBe(T0)
  })

  it('starts no earlier than now', () => {
    const views = [view(a, steps([10, 300, 300, 300, 300, 300]))]
    const out = ok(planJob(request(), views, T0 + 2 * HOUR))
    expect(out.baseline.segments[0]!.start).toBe(T0 + 2 * HOUR)
    expect(out.placement.segments[0]!.start).toBe(T0 + 2 * HOUR)
  })

  it('cuts an interruptible job into the cheapest slices and counts resume overhead in its energy', () => {
    const views = [view(a, steps([10, 500, 10, 500, 500, 500]))]
    const req = request({ durationMs: 2 * HOUR, interruptible: true, minSegmentMs: 30 * MIN, resumeOverheadMs: 5 * MIN })
    const out = ok(planJob(req, views, T0))
    // Two green hours with the 5-min resume overhead: either 5 min of the red hour before the second
    // slice or 5 min of it after the first cost the same, 0.5 kW × (10 × 2 h + 500 × 5 min), and
    // the earlier slots win the tie. Energy covers 2 h 5 min of running.
    expect(out.placement.segments).toEqual([{ start: T0, end: T0 + HOUR + 5 * MIN }, { start: T0 + 2 * HOUR, end: T0 + 3 * HOUR }])
    expect(out.placement.grams).toBeCloseTo(10 + 500 * 0.5 / 12, 9)
    expect(out.placement.energyKwh).toBeCloseTo(0.5 * (2 + 5 / 60), 12)
    expect(out.baseline.segments).toEqual([{ start: T0, end: T0 + 2 * HOUR }])
  })

  it('spreads an energyKwh override over the run', () => {
    const out = ok(planJob(request({ energyKwh: 3, durationMs: 2 * HOUR }), [view(a, steps([100, 100, 100]))], T0))
    expect(out.placement).toMatchObject({ energyKwh: 3, grams: 300 })
  })

  it('treats an empty pool list as every known pool', () => {
    const views = [view(a, steps([300, 300])), view(b, steps([100, 100]))]
    expect(ok(planJob(request({ pools: [], deadline: T0 + 2 * HOUR }), views, T0)).placement.pool).toBe('b')
  })

  describe('failures', () => {
    const views = [view(a, steps([300, 300, 300])), view(pool('off', { enabled: false }), steps([1, 1, 1])), view(pool('big', { gpuCount: 4 }), steps([1, 1, 1]))]

    it('deadline-passed', () => {
      expect(fail(planJob(request({ deadline: T0 }), views, T0))).toMatchObject({ reason: 'deadline-passed', detail: expect.stringMatching(/deadline/) })
      expect(fail(planJob(request({ deadline: T0 + HOUR }), views, T0 + HOUR)).reason).toBe('deadline-passed')
    })
    it('window-too-short', () => {
      expect(fail(planJob(request({ deadline: T0 + 59 * MIN }), views, T0))).toMatchObject({ reason: 'window-too-short', detail: expect.stringMatching(/durationMs 60 min/) })
    })
    it('no-eligible-pool', () => {
      const out = fail(planJob(request({ pools: ['nope', 'off'] }), views, T0))
      expect(out).toMatchObject({ reason: 'no-eligible-pool', detail: expect.stringMatching(/unknown: nope; disabled: off/) })
    })
    it('too-many-gpus', () => {
      const out = fail(planJob(request({ pools: ['a', 'big'], gpus: 9 }), views, T0))
      expect(out).toMatchObject({ reason: 'too-many-gpus', detail: expect.stringMatching(/gpus 9 .* a, has 8/) })
    })
    it('no-intensity-data only when no eligible pool has any point', () => {
      const empty = seriesOf([])
      const out = fail(planJob(request({ pools: ['a'] }), [view(a, empty)], T0))
      expect(out).toMatchObject({ reason: 'no-intensity-data', detail: expect.stringMatching(/a \(zone-a\)/) })
      expect(ok(planJob(request({ pools: ['a', 'b'] }), [view(a, empty), view(b, steps([5, 5, 5]))], T0)).placement.pool).toBe('b')
    })
    it('no-capacity', () => {
      const full = [view(a, steps([300, 300, 300]), [{ pool: 'a', start: T0, end: T0 + 2 * HOUR + 30 * MIN, gpus: 8 }])]
      const out = fail(planJob(request({ deadline: T0 + 3 * HOUR }), full, T0))
      expect(out).toMatchObject({ reason: 'no-capacity', detail: expect.stringMatching(/pools a$/) })
      // the baseline would ignore capacity, but there is no plan to attach it to; with room it plans
      const room = [view(a, steps([300, 300, 300]), [{ pool: 'a', start: T0, end: T0 + 2 * HOUR, gpus: 7 }])]
      expect(ok(planJob(request({ deadline: T0 + 3 * HOUR }), room, T0)).placement.pool).toBe('a')
    })
    it('throws PlanInputError for a malformed request', () => {
      expect(() => planJob(request({ gpus: 0 }), views, T0)).toThrow(PlanInputError)
      expect(() => planJob(request({ durationMs: Number.NaN }), views, T0)).toThrow(/durationMs/)
    })
  })
})

describe('planJobs', () => {
  it('plans earliest deadline first on shared capacity', () => {
    // one GPU; hour 1 is the green one; y is due sooner, so y gets it and x takes the next best
    const views = [view(pool('a', { gpuCount: 1 }), steps([500, 10, 400, 300, 500, 500]))]
    const reqs = [
      { id: 'x', ...request({ deadline: T0 + 6 * HOUR }) },
      { id: 'y', ...request({ deadline: T0 + 3 * HOUR }) }
    ]
    const out = planJobs(reqs, views, T0)
    expect([...out.keys()]).toEqual(['x', 'y'])
    expect(ok(out.get('y')!).placement.segments).toEqual([{ start: T0 + HOUR, end: T0 + 2 * HOUR }])
    expect(ok(out.get('x')!).placement.segments).toEqual([{ start: T0 + 3 * HOUR, end: T0 + 4 * HOUR }])
  })

  it('reports each job’s own failure and respects existing reservations', () => {
    const views = [view(pool('a', { gpuCount: 2 }), steps([100, 100, 100]), [{ pool: 'a', start: T0, end: T0 + 3 * HOUR, gpus: 1 }])]
    const out = planJobs([
      { id: 'one', ...request({ deadline: T0 + 3 * HOUR }) },
      { id: 'two', ...request({ deadline: T0 + 3 * HOUR, durationMs: 3 * HOUR }) },
      { id: 'late', ...request({ deadline: T0 - HOUR }) }
    ], views, T0)
    expect(ok(out.get('one')!).placement.segments).toEqual([{ start: T0, end: T0 + HOUR }])
    // 'two' needs the one free GPU for the whole window, but 'one' (same deadline, id first) took it
    expect(fail(out.get('two')!).reason).toBe('no-capacity')
    expect(fail(out.get('late')!).reason).toBe('deadline-passed')
  })
})

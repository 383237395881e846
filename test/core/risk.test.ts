import { describe, expect, test } from 'vitest'
import { planJob, planJobs } from '../../src/core/planner.js'
import { planJointly } from '../../src/core/joint.js'
import type { PlanOutcome, Series } from '../../src/core/types.js'
import { toJobPlan } from '../../src/scheduler/plan.js'
import { HOUR, pool, request, T0 } from './helpers.js'

/**
 * Hours 0–1 are the cheapest on the median (100 g/kWh) but uncertain (p90 400); hours 4–5 cost a
 * little more on the median (120) and are sure (p90 130). The rest: 300, sure.
 */
const uncertain: Series = {
  zone: 'DE',
  signal: 'average',
  source: 'model:greenshift-ew-profile@2026-12-03T00:00Z',
  points: Array.from({ length: 8 }, (_, i) => {
    const [p10, p50, p90] = i < 2 ? [50, 100, 400] : i === 4 || i === 5 ? [110, 120, 130] : [290, 300, 310]
    return { start: T0 + i * HOUR, end: T0 + (i + 1) * HOUR, gPerKwh: p50, p10, p90 }
  })
}
const de = pool('de', { zone: 'DE', gpuCount: 8 })
const views = [{ pool: de, series: uncertain, reservations: [] }]
const job = (risk?: 'neutral' | 'averse') => request({ gpus: 1, durationMs: 2 * HOUR, earliestStart: T0, deadline: T0 + 8 * HOUR, pools: ['de'], ...(risk === undefined ? {} : { risk }) })

function ok (o: PlanOutcome | undefined): Extract<PlanOutcome, { ok: true }> {
  if (o === undefined || !o.ok) throw new Error(o?.ok === false ? o.detail : 'no outcome')
  return o
}

describe('risk', () => {
  test('neutral (the default) takes the lowest median; averse the lowest p90, giving up a little median', () => {
    const neutral = ok(planJob(job(), views, T0))
    const averse = ok(planJob(job('averse'), views, T0))
    expect(neutral.placement.segments).toEqual([{ start: T0, end: T0 + 2 * HOUR }])
    expect(averse.placement.segments).toEqual([{ start: T0 + 4 * HOUR, end: T0 + 6 * HOUR }])
    // Each states all three quantiles of its window; the averse window's p90 is far lower.
    const kw = neutral.placement.energyKwh / 2
    expect(neutral.placement.band!.p50).toBeCloseTo(2 * kw * 100)
    expect(neutral.placement.band!.p90).toBeCloseTo(2 * kw * 400)
    expect(averse.placement.band!.p10).toBeCloseTo(2 * kw * 110)
    expect(averse.placement.band!.p50).toBeCloseTo(2 * kw * 120)
    expect(averse.placement.band!.p90).toBeCloseTo(2 * kw * 130)
    expect(planJob(job('neutral'), views, T0)).toEqual(neutral)
  })

  test('a plan states the median as its expected grams, with the p10–p90 band, whatever it minimised', () => {
    const averse = ok(planJob(job('averse'), views, T0))
    const plan = toJobPlan(averse, T0)
    expect(plan.expected.grams).toBeCloseTo(averse.placement.band!.p50)
    expect(plan.expected.band!.p10).toBeCloseTo(averse.placement.band!.p10)
    expect(plan.expected.band!.p90).toBeCloseTo(averse.placement.band!.p90)
    // The baseline (started at once) is the median of hours 0–1, and the avoided figure compares medians.
    expect(plan.baseline.grams).toBeCloseTo(ok(planJob(job(), views, T0)).placement.band!.p50)
    expect(plan.expectedAvoidedGrams).toBeCloseTo(plan.baseline.grams - plan.expected.grams)
  })

  test('the batch and joint planners weigh each job by its own risk', () => {
    const reqs = [{ ...job('averse'), id: 'a' }, { ...job(), id: 'n' }]
    for (const out of [planJobs(reqs, views, T0), planJointly(reqs, views, T0)]) {
      expect(ok(out.get('a')).placement.segments[0]!.start).toBe(T0 + 4 * HOUR)
      expect(ok(out.get('n')).placement.segments[0]!.start).toBe(T0)
    }
  })

  test('a series without a band: averse plans as neutral, and no band is claimed', () => {
    const plain: Series = { ...uncertain, source: 'replay:DE', points: uncertain.points.map(({ start, end, gPerKwh }) => ({ start, end, gPerKwh })) }
    const v = [{ pool: de, series: plain, reservations: [] }]
    const averse = ok(planJob(job('averse'), v, T0))
    expect(averse).toEqual(ok(planJob(job(), v, T0)))
    expect(averse.placement.band).toBeUndefined()
    expect(toJobPlan(averse, T0).expected.band).toBeUndefined()
  })
})

import { describe, expect, it } from 'vitest'
import { planJointly } from '../../src/core/joint.js'
import { planJobs, type PoolView } from '../../src/core/planner.js'
import type { PlanOutcome, Placement, Pool, Reservation, Series } from '../../src/core/types.js'
import { HOUR, pool, request, steps, T0 } from './helpers.js'

const view = (p: Pool, series: Series, reservations: Reservation[] = []): PoolView => ({ pool: p, series: { ...series, zone: p.zone }, reservations })
const ok = (o: PlanOutcome | undefined) => {
  if (o === undefined || !o.ok) throw new Error(`expected a plan, got ${o === undefined ? 'nothing' : `${o.reason}: ${o.detail}`}`)
  return o
}
const total = (m: Map<string, PlanOutcome>) => [...m.values()].reduce((s, o) => s + (o.ok ? o.placement.grams : 0), 0)
const at = (h: number) => T0 + h * HOUR
const exact = { safetyMarginMs: 0 }

describe('planJointly', () => {
  // One GPU; hour 1 is the green one (10 g/kWh), hour 2 the next best y can reach (400).
  const one = [view(pool('a', { gpuCount: 1 }), steps([500, 10, 400, 300, 500, 500]))]
  // x draws 2 kW (2,000 W × 1 GPU), y 0.5 kW; y is due first
  const x = { id: 'x', ...request({ deadline: at(6), wattsPerGpu: 2000 }) }
  const y = { id: 'y', ...request({ deadline: at(3) }) }

  it('gives the green hour to the job that gains most from it, where EDF gives it to the job due first', () => {
    // EDF: y takes hour 1 (0.5 × 10 = 5 g), x the next best, hour 3 (2 × 300 = 600 g): 605 g
    const edf = planJobs([x, y], one, T0, exact)
    expect(total(edf)).toBeCloseTo(605, 9)
    // jointly: x takes hour 1 (2 × 10 = 20 g), y hour 2 (0.5 × 400 = 200 g): 220 g
    const joint = planJointly([x, y], one, T0, exact)
    expect(ok(joint.get('x')).placement.segments).toEqual([{ start: at(1), end: at(2) }])
    expect(ok(joint.get('y')).placement.segments).toEqual([{ start: at(2), end: at(3) }])
    expect(total(joint)).toBeCloseTo(220, 9)
    // baselines stay "run at once on the baseline pool": 2 × 500 and 0.5 × 500
    expect(ok(joint.get('x')).baseline.grams).toBeCloseTo(1000, 9)
    expect(ok(joint.get('y')).baseline.grams).toBeCloseTo(250, 9)
    expect(ok(joint.get('y')).latestSafeStart).toBe(at(2))
  })

  it('equals planJobs when jobs do not compete', () => {
    const wide = [view(pool('a', { gpuCount: 4 }), steps([500, 10, 400, 300, 500, 500]))]
    const reqs = [x, y, { id: 'z', ...request({ deadline: at(5), durationMs: 2 * HOUR }) }]
    expect(planJointly(reqs, wide, T0)).toEqual(planJobs(reqs, wide, T0))
  })

  it('places a job the EDF order leaves without room', () => {
    // One GPU over 4 h. a (1 h, 5 kW, id first on the same deadline) takes the 5 g/kWh hour 1, and
    // b (3 h) then fits nowhere; placing b first leaves hour 0 or 3 for a.
    const views = [view(pool('p', { gpuCount: 1 }), steps([100, 5, 50, 100]))]
    const reqs = [
      { id: 'a', ...request({ pools: ['p'], deadline: at(4), wattsPerGpu: 5000 }) },
      { id: 'b', ...request({ pools: ['p'], deadline: at(4), durationMs: 3 * HOUR }) }
    ]
    expect(planJobs(reqs, views, T0, exact).get('b')).toMatchObject({ ok: false, reason: 'no-capacity' })
    const joint = planJointly(reqs, views, T0, exact)
    const a = ok(joint.get('a')).placement
    const b = ok(joint.get('b')).placement
    // b costs 0.5 × 155 either way; a 5 × 100 at hour 0 or 3
    expect(b.grams).toBeCloseTo(77.5, 9)
    expect(a.grams).toBeCloseTo(500, 9)
    expect(a.segments[0]!.end <= b.segments[0]!.start || b.segments[0]!.end <= a.segments[0]!.start).toBe(true)
  })

  it('passes each job’s own failure through, like planJobs', () => {
    const reqs = [x, { id: 'late', ...request({ deadline: T0 - HOUR }) }, { id: 'big', ...request({ gpus: 9 }) }]
    const out = planJointly(reqs, one, T0)
    expect(out.get('late')).toMatchObject({ ok: false, reason: 'deadline-passed' })
    expect(out.get('big')).toMatchObject({ ok: false, reason: 'too-many-gpus' })
    expect([...out.keys()]).toEqual(['x', 'late', 'big'])
  })

  it('respects outside reservations and still plans with a zero improvement budget', () => {
    const held = [view(pool('a', { gpuCount: 1 }), steps([500, 10, 400, 300, 500, 500]), [{ pool: 'a', start: at(1), end: at(2), gpus: 1 }])]
    const out = planJointly([x, y], held, T0, { ...exact, maxEvaluations: 0 })
    // hour 1 is taken: x gets hour 3 (600 g), y hour 2 (200 g)
    expect(ok(out.get('x')).placement.segments).toEqual([{ start: at(3), end: at(4) }])
    expect(ok(out.get('y')).placement.segments).toEqual([{ start: at(2), end: at(3) }])
  })

  it('starts from a feasible current plan and never ends dearer than it', () => {
    const current = new Map<string, Placement>([
      ['x', { pool: 'a', zone: 'zone-a', segments: [{ start: at(1), end: at(2) }], energyKwh: 2, grams: 20, signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: 'test', usesFallback: false }],
      ['y', { pool: 'a', zone: 'zone-a', segments: [{ start: at(2), end: at(3) }], energyKwh: 0.5, grams: 200, signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: 'test', usesFallback: false }]
    ])
    expect(total(planJointly([x, y], one, T0, { ...exact, current }))).toBeCloseTo(220, 9)
    // an infeasible current plan (both jobs on the one GPU at once) is ignored, not trusted
    const clash = new Map([...current].map(([id, p]) => [id, { ...p, segments: [{ start: at(1), end: at(2) }] }]))
    const out = planJointly([x, y], one, T0, { ...exact, current: clash })
    expect(ok(out.get('x')).placement.segments).not.toEqual(ok(out.get('y')).placement.segments)
  })
})

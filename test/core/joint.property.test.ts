import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { planJointly } from '../../src/core/joint.js'
import { planJobs, type PoolView } from '../../src/core/planner.js'
import type { PlanOutcome, PlanRequest } from '../../src/core/types.js'
import { HOUR, MIN, pool, T0 } from './helpers.js'

type Req = PlanRequest & { id: string }

/** 1–2 pools of 1–3 GPUs, 12 hourly points each, and maybe one outside reservation on the hour grid. */
const poolsArb = fc.array(fc.record({
  gpuCount: fc.integer({ min: 1, max: 3 }),
  values: fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 12, maxLength: 12 }),
  held: fc.option(fc.record({ at: fc.integer({ min: 0, max: 10 }), len: fc.integer({ min: 1, max: 3 }), gpus: fc.integer({ min: 1, max: 2 }) }), { nil: undefined })
}), { minLength: 1, maxLength: 2 }).map(specs => specs.map((s, i): PoolView => {
  const p = pool(`p${i}`, { gpuCount: s.gpuCount })
  return {
    pool: p,
    series: { zone: p.zone, signal: 'average', source: 'test', points: s.values.map((g, h) => ({ start: T0 + h * HOUR, end: T0 + (h + 1) * HOUR, gPerKwh: g })) },
    reservations: s.held === undefined ? [] : [{ pool: p.name, start: T0 + s.held.at * HOUR, end: T0 + (s.held.at + s.held.len) * HOUR, gpus: Math.min(s.held.gpus, s.gpuCount) }]
  }
}))

/** Jobs on the hour grid inside the 12 h: 1–2 GPUs, 1–3 h, 0–4 h of slack, 100–2,000 W per GPU. */
function jobsArb (min: number, max: number, interruptible: boolean): fc.Arbitrary<Req[]> {
  return fc.array(fc.record({
    gpus: fc.integer({ min: 1, max: 2 }),
    durH: fc.integer({ min: 1, max: 3 }),
    startH: fc.integer({ min: 0, max: 4 }),
    slackH: fc.integer({ min: 0, max: 4 }),
    watts: fc.integer({ min: 1, max: 20 }).map(x => x * 100),
    interruptible: interruptible ? fc.boolean() : fc.constant(false),
    onlyFirst: fc.boolean()
  }), { minLength: min, maxLength: max }).map(specs => specs.map((s, i): Req => ({
    id: `j${i}`,
    gpus: s.gpus,
    durationMs: s.durH * HOUR,
    earliestStart: T0 + s.startH * HOUR,
    deadline: T0 + (s.startH + s.durH + s.slackH) * HOUR,
    interruptible: s.interruptible,
    minSegmentMs: 30 * MIN,
    resumeOverheadMs: 0,
    wattsPerGpu: s.watts,
    pools: s.onlyFirst ? ['p0'] : []
  })))
}

const placedCount = (m: Map<string, PlanOutcome>) => [...m.values()].filter(o => o.ok).length
const total = (m: Map<string, PlanOutcome>) => [...m.values()].reduce((s, o) => s + (o.ok ? o.placement.grams : 0), 0)

/** Highest GPUs held at any instant in each pool, outside reservations included, never above gpuCount. */
function withinCapacity (out: Map<string, PlanOutcome>, reqs: readonly Req[], views: readonly PoolView[]): boolean {
  return views.every(v => {
    const held = v.reservations.map(r => ({ start: r.start, end: r.end, gpus: r.gpus }))
    for (const r of reqs) {
      const o = out.get(r.id)
      if (o?.ok === true && o.placement.pool === v.pool.name) held.push(...o.placement.segments.map(s => ({ ...s, gpus: r.gpus })))
    }
    const events = held.flatMap(h => [[h.start, h.gpus], [h.end, -h.gpus]] as Array<[number, number]>).sort((a, b) => a[0] - b[0] || a[1] - b[1])
    let level = 0
    return events.every(([, d]) => (level += d) <= v.pool.gpuCount)
  })
}

/** Most jobs placeable together, every start on the hour grid tried on every pool a job may use. */
function bruteMostPlaced (reqs: readonly Req[], views: readonly PoolView[]): number {
  const load = views.map(v => {
    const l = new Array<number>(12).fill(0)
    for (const r of v.reservations) for (let h = (r.start - T0) / HOUR; h < (r.end - T0) / HOUR; h++) l[h]! += r.gpus
    return l
  })
  let best = 0
  const visit = (i: number, placed: number): void => {
    best = Math.max(best, placed)
    if (i === reqs.length || placed + reqs.length - i <= best) return
    const r = reqs[i]!
    const dur = r.durationMs / HOUR
    views.forEach((v, k) => {
      if ((r.pools.length > 0 && !r.pools.includes(v.pool.name)) || r.gpus > v.pool.gpuCount) return
      for (let s = (r.earliestStart - T0) / HOUR; s + dur <= (r.deadline - T0) / HOUR; s++) {
        const hours = Array.from({ length: dur }, (_, d) => s + d)
        if (hours.some(h => load[k]![h]! + r.gpus > v.pool.gpuCount)) continue
        for (const h of hours) load[k]![h]! += r.gpus
        visit(i + 1, placed + 1)
        for (const h of hours) load[k]![h]! -= r.gpus
      }
    })
    visit(i + 1, placed)
  }
  visit(0, 0)
  return best
}

describe('planJointly on small random instances', () => {
  it('never exceeds capacity, keeps every job in its window, and is never dearer than planJobs when both place every job', () => {
    fc.assert(fc.property(poolsArb, jobsArb(2, 6, true), (views, reqs) => {
      const joint = planJointly(reqs, views, T0)
      const edf = planJobs(reqs, views, T0)
      expect(withinCapacity(joint, reqs, views)).toBe(true)
      for (const r of reqs) {
        const o = joint.get(r.id)!
        if (!o.ok) continue
        expect(o.placement.segments[0]!.start).toBeGreaterThanOrEqual(r.earliestStart)
        expect(o.placement.segments.at(-1)!.end).toBeLessThanOrEqual(r.deadline)
      }
      expect(placedCount(joint)).toBeGreaterThanOrEqual(placedCount(edf))
      if (placedCount(edf) === reqs.length && placedCount(joint) === reqs.length) {
        expect(total(joint)).toBeLessThanOrEqual(total(edf) * (1 + 1e-9) + 1e-9)
      }
    }), { numRuns: 300 })
  })

  it('places as many jobs as the best exhaustive plan on the hour grid', () => {
    fc.assert(fc.property(poolsArb, jobsArb(3, 4, false), (views, reqs) => {
      const joint = planJointly(reqs, views, T0, { safetyMarginMs: 0 })
      expect(withinCapacity(joint, reqs, views)).toBe(true)
      expect(placedCount(joint)).toBeGreaterThanOrEqual(bruteMostPlaced(reqs, views))
    }), { numRuns: 300 })
  })
})

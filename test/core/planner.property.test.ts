import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bestSlices } from '../../src/core/interruptible.js'
import { latestSafeStart, planJob, planJobs, type PoolView } from '../../src/core/planner.js'
import { fillGaps, prepare, withFallback } from '../../src/core/series.js'
import { bestContiguousStart } from '../../src/core/window.js'
import type { Interval, PlanRequest, Reservation, Signal } from '../../src/core/types.js'
import { bruteIntegral, HOUR, MIN, pointsArb, pool, T0 } from './helpers.js'

const names = ['p0', 'p1', 'p2']

/** Up to three pools with their own power model, series (gaps, short horizons) and reservations. */
const viewsArb = fc.array(fc.record({
  gpuCount: fc.integer({ min: 1, max: 4 }),
  wattsPerGpu: fc.integer({ min: 1, max: 8 }).map(x => x * 100),
  pue: fc.constantFrom(1, 1.1, 1.5),
  signal: fc.constantFrom<Signal>('average', 'average', 'marginal'),
  points: pointsArb(T0, true, 20),
  reservations: fc.array(fc.record({ at: fc.integer({ min: 0, max: 600 }), len: fc.integer({ min: 1, max: 120 }), gpus: fc.integer({ min: 1, max: 4 }) }), { maxLength: 4 })
}), { minLength: 1, maxLength: 3 }).map(specs => specs.map((s, i): PoolView => {
  const p = pool(names[i]!, { gpuCount: s.gpuCount, wattsPerGpu: s.wattsPerGpu, pue: s.pue })
  return {
    pool: p,
    series: { zone: p.zone, signal: s.signal, source: 'test', points: s.points },
    reservations: s.reservations.map(r => ({ pool: p.name, start: T0 + r.at * MIN, end: T0 + (r.at + r.len) * MIN, gpus: r.gpus }))
  }
}))

/** Highest total GPUs held at any instant by `xs`. */
function peak (xs: Array<Interval & { gpus: number }>): number {
  const events = xs.flatMap(x => [[x.start, x.gpus], [x.end, -x.gpus]] as Array<[number, number]>)
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let level = 0
  let max = 0
  for (const [, delta] of events) max = Math.max(max, (level += delta))
  return max
}

function fits (v: PoolView, gpus: number, window: Interval): boolean {
  const overlapping = v.reservations.filter(r => r.start < window.end && window.start < r.end)
  const clipped = overlapping.map(r => ({ start: Math.max(r.start, window.start), end: Math.min(r.end, window.end), gpus: r.gpus }))
  return peak([...clipped, { ...window, gpus }]) <= v.pool.gpuCount
}

/** Every start on the 1-minute grid of every competing pool, priced point by point. */
function bruteForce (req: PlanRequest, views: PoolView[], marginMs: number) {
  const eligible = views.filter(v => v.pool.gpuCount >= req.gpus)
  const signal = eligible[0]?.series.signal
  const slack = req.deadline - req.earliestStart - req.durationMs
  const latest = req.deadline - Math.max(0, Math.min(marginMs, slack)) - req.durationMs
  let best: { grams: number, pool: string } | undefined
  for (const v of eligible.filter(e => e.series.signal === signal)) {
    const points = fillGaps(withFallback(v.series, req.deadline), req.earliestStart).series.points
    const kw = req.gpus * v.pool.wattsPerGpu * v.pool.pue / 1000
    for (let s = req.earliestStart; s <= latest; s += MIN) {
      const window = { start: s, end: s + req.durationMs }
      if (!fits(v, req.gpus, window)) continue
      const grams = kw * bruteIntegral(points, s, s + req.durationMs) / HOUR
      if (best === undefined || grams < best.grams) best = { grams, pool: v.pool.name }
    }
  }
  return { best, latest, eligible }
}

describe('planJob against brute force (contiguous)', () => {
  it('finds the least grams over every pool and 1-minute start, on a feasible window', () => {
    const scenario = fc.record({
      views: viewsArb,
      gpus: fc.integer({ min: 1, max: 4 }),
      earliestMin: fc.integer({ min: 0, max: 120 }),
      durationMin: fc.integer({ min: 1, max: 180 }),
      slackMin: fc.integer({ min: 0, max: 480 }),
      marginMin: fc.integer({ min: 0, max: 30 })
    })
    fc.assert(fc.property(scenario, s => {
      const earliest = T0 + s.earliestMin * MIN
      const req: PlanRequest = {
        gpus: s.gpus, durationMs: s.durationMin * MIN, earliestStart: earliest, deadline: earliest + (s.durationMin + s.slackMin) * MIN,
        interruptible: false, minSegmentMs: 0, resumeOverheadMs: 0, pools: s.views.map(v => v.pool.name)
      }
      const out = planJob(req, s.views, T0, { safetyMarginMs: s.marginMin * MIN })
      const { best, latest, eligible } = bruteForce(req, s.views, s.marginMin * MIN)
      if (eligible.length === 0 || best === undefined) {
        expect(out).toMatchObject({ ok: false, reason: eligible.length === 0 ? 'too-many-gpus' : 'no-capacity' })
        return
      }
      if (!out.ok) throw new Error(`${out.reason}: ${out.detail}`)
      const { placement } = out
      const seg = placement.segments[0]!
      expect(placement.segments).toHaveLength(1)
      expect(seg.end - seg.start).toBe(req.durationMs)
      expect(seg.start).toBeGreaterThanOrEqual(earliest)
      expect(seg.start).toBeLessThanOrEqual(latest)
      expect(out.latestSafeStart).toBe(latest)
      const v = s.views.find(x => x.pool.name === placement.pool)!
      expect(fits(v, req.gpus, seg)).toBe(true)
      expect(placement.grams).toBeLessThanOrEqual(best.grams * (1 + 1e-9) + 1e-9)
      expect(placement.grams).toBeGreaterThanOrEqual(best.grams * (1 - 1e-9) - 1e-9)
    }), { numRuns: 200 })
  })
})

describe('planJob for interruptible jobs', () => {
  it('matches the better of the exact contiguous search and the slot DP on every pool', () => {
    const scenario = fc.record({
      views: viewsArb,
      earliestMin: fc.integer({ min: 0, max: 60 }),
      durationMin: fc.integer({ min: 5, max: 120 }),
      slackMin: fc.integer({ min: 0, max: 240 }),
      minSegmentMin: fc.integer({ min: 0, max: 60 }),
      overheadMin: fc.integer({ min: 0, max: 15 })
    })
    fc.assert(fc.property(scenario, s => {
      const views = s.views.map(v => ({ ...v, series: { ...v.series, signal: 'average' as const }, reservations: [] }))
      const earliest = T0 + s.earliestMin * MIN
      const req: PlanRequest = {
        gpus: 1, durationMs: s.durationMin * MIN, earliestStart: earliest, deadline: earliest + (s.durationMin + s.slackMin) * MIN,
        interruptible: true, minSegmentMs: s.minSegmentMin * MIN, resumeOverheadMs: s.overheadMin * MIN, pools: views.map(v => v.pool.name)
      }
      const out = planJob(req, views, T0)
      if (!out.ok) throw new Error(`${out.reason}: ${out.detail}`)
      const latest = latestSafeStart(req)
      let best = Infinity
      for (const v of views) {
        const p = prepare(fillGaps(withFallback(v.series, req.deadline), earliest).series)
        const kw = v.pool.wattsPerGpu * v.pool.pue / 1000
        const w = bestContiguousStart(p, earliest, latest, req.durationMs, [])
        const sl = bestSlices(p, earliest, latest + req.durationMs, req.durationMs, req.minSegmentMs, req.resumeOverheadMs, [])
        best = Math.min(best, kw * (w?.integral ?? Infinity) / HOUR, kw * (sl?.integral ?? Infinity) / HOUR)
      }
      expect(out.placement.grams).toBeCloseTo(best, 6)
    }), { numRuns: 150 })
  })
})

describe('planJobs on shared capacity', () => {
  it('never exceeds a pool’s gpuCount and keeps every placement inside its window', () => {
    const jobArb = fc.record({
      gpus: fc.integer({ min: 1, max: 4 }),
      earliestMin: fc.integer({ min: -30, max: 240 }),
      durationMin: fc.integer({ min: 5, max: 120 }),
      slackMin: fc.integer({ min: 0, max: 240 }),
      interruptible: fc.boolean(),
      minSegmentMin: fc.integer({ min: 0, max: 60 }),
      overheadMin: fc.integer({ min: 0, max: 15 }),
      pools: fc.shuffledSubarray(names, { minLength: 1 })
    })
    fc.assert(fc.property(viewsArb, fc.array(jobArb, { minLength: 1, maxLength: 12 }), (rawViews, jobs) => {
      // seed only reservations that fit, as the store would hold
      const views = rawViews.map(v => ({ ...v, reservations: v.reservations.reduce<Reservation[]>((kept, r) => peak([...kept, r]) <= v.pool.gpuCount ? [...kept, r] : kept, []) }))
      const reqs = jobs.map((j, i) => ({
        id: `j${i}`, gpus: j.gpus, durationMs: j.durationMin * MIN, earliestStart: T0 + j.earliestMin * MIN,
        deadline: T0 + (j.earliestMin + j.durationMin + j.slackMin) * MIN, interruptible: j.interruptible,
        minSegmentMs: j.minSegmentMin * MIN, resumeOverheadMs: j.overheadMin * MIN, pools: j.pools
      }))
      const out = planJobs(reqs, views, T0)
      expect(out.size).toBe(reqs.length)
      const held = new Map(views.map(v => [v.pool.name, [...v.reservations] as Array<Interval & { gpus: number }>]))
      for (const r of reqs) {
        const o = out.get(r.id)!
        if (!o.ok) {
          // unknown pools, too small pools, windows cut short by `now`, full pools
          expect(['no-eligible-pool', 'too-many-gpus', 'window-too-short', 'deadline-passed', 'no-capacity']).toContain(o.reason)
          continue
        }
        const { segments, pool: name } = o.placement
        expect(r.pools).toContain(name)
        expect(segments[0]!.start).toBeGreaterThanOrEqual(Math.max(r.earliestStart, T0))
        expect(segments.at(-1)!.end).toBeLessThanOrEqual(r.deadline)
        expect(segments.reduce((sum, x) => sum + x.end - x.start, 0)).toBeGreaterThanOrEqual(r.durationMs)
        if (!r.interruptible) expect(segments).toHaveLength(1)
        for (const x of segments) held.get(name)!.push({ ...x, gpus: r.gpus })
      }
      for (const v of views) expect(peak(held.get(v.pool.name)!)).toBeLessThanOrEqual(v.pool.gpuCount)
    }), { numRuns: 150 })
  })
})

import { describe, expect, it } from 'vitest'
import { planJobs, type PoolView } from '../../src/core/planner.js'
import type { IntensityPoint, PlanRequest } from '../../src/core/types.js'
import { HOUR, MIN, pool, T0 } from './helpers.js'
import { rng } from '../../src/sim/noise.js'

/** 48 h of 5-minute points with a daily solar dip and noise. */
function points (seed: number): IntensityPoint[] {
  const r = rng(seed)
  const base = 150 + 250 * r()
  const out: IntensityPoint[] = []
  for (let t = T0; t < T0 + 48 * HOUR; t += 5 * MIN) {
    const solar = Math.max(0, Math.sin(Math.PI * (((t - T0) / HOUR) % 24 - 6) / 12))
    out.push({ start: t, end: t + 5 * MIN, gPerKwh: Math.max(5, base * (1 - 0.5 * solar) + 30 * (r() - 0.5)) })
  }
  return out
}

describe('planJobs at fleet scale', () => {
  it('plans 10,000 jobs onto 20 pools × 64 GPUs, never over capacity (timing: npm run bench)', () => {
    const views: PoolView[] = Array.from({ length: 20 }, (_, i) => {
      const p = pool(`pool-${i}`, { gpuCount: 64, wattsPerGpu: 400, pue: 1.2 })
      return { pool: p, series: { zone: p.zone, signal: 'average', source: 'test', points: points(i + 1) }, reservations: [] }
    })
    const names = views.map(v => v.pool.name)
    const r = rng(42)
    const reqs: Array<PlanRequest & { id: string }> = Array.from({ length: 10_000 }, (_, i) => {
      const earliestStart = T0 + Math.floor(r() * 24) * HOUR
      const durationMs = (1 + Math.floor(r() * 8)) * HOUR
      const deadline = Math.min(T0 + 48 * HOUR, earliestStart + durationMs + (2 + Math.floor(r() * 20)) * HOUR)
      return { id: `job-${i}`, gpus: 1 + Math.floor(r() * 8), durationMs, earliestStart, deadline, interruptible: false, minSegmentMs: 30 * MIN, resumeOverheadMs: 0, pools: names }
    })
    const out = planJobs(reqs, views, T0)
    // Sweep every pool's reservations: the level never passes 64.
    const events = new Map<string, Array<[number, number]>>()
    let planned = 0
    for (const [id, o] of out) {
      if (!o.ok) continue
      planned++
      const gpus = reqs[Number(id.slice(4))]!.gpus
      const list = events.get(o.placement.pool) ?? []
      for (const s of o.placement.segments) list.push([s.start, gpus], [s.end, -gpus])
      events.set(o.placement.pool, list)
    }
    for (const list of events.values()) {
      list.sort((a, b) => a[0] - b[0] || a[1] - b[1])
      let level = 0
      for (const [, delta] of list) expect((level += delta)).toBeLessThanOrEqual(64)
    }
    expect(planned).toBeGreaterThan(4_000)
  })
})

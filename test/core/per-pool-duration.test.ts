import { expect, test } from 'vitest'
import { planJointly } from '../../src/core/joint.js'
import { planJob, planJobs } from '../../src/core/planner.js'
import { replanMoves } from '../../src/core/replan.js'
import type { PlanOutcome, Series } from '../../src/core/types.js'
import { HOUR, pool, request, T0 } from './helpers.js'

/** Both pools in one zone: 300 g/kWh but for a clean 3-hour stretch from T0 + 4 h. */
const zone: Series = {
  zone: 'DE', signal: 'average', source: 'replay:DE',
  points: Array.from({ length: 12 }, (_, i) => ({ start: T0 + i * HOUR, end: T0 + (i + 1) * HOUR, gPerKwh: i >= 4 && i < 7 ? 50 : 300 }))
}
const fast = pool('fast', { zone: 'DE', gpuCount: 8, wattsPerGpu: 700 })
const slow = pool('slow', { zone: 'DE', gpuCount: 8, wattsPerGpu: 300 })
const views = [{ pool: slow, series: zone, reservations: [] }, { pool: fast, series: zone, reservations: [] }]
/** Work that takes 4 h on the slow pool and 1 h on the fast one. */
const job = (over: Parameters<typeof request>[0] = {}) => request({
  gpus: 1, durationMs: 4 * HOUR, perPool: { slow: { durationMs: 4 * HOUR }, fast: { durationMs: HOUR } }, earliestStart: T0, deadline: T0 + 12 * HOUR, pools: ['slow', 'fast'], ...over
})

function ok (o: PlanOutcome | undefined): Extract<PlanOutcome, { ok: true }> {
  if (o === undefined || !o.ok) throw new Error(o?.ok === false ? o.detail : 'no outcome')
  return o
}

test('each pool is priced at its own run time: the fast pool fits the clean stretch and draws less', () => {
  const out = ok(planJob(job(), views, T0))
  // Slow: 4 h × 0.3 kW, at best 3 clean hours; fast: 1 h × 0.7 kW, all clean.
  expect(out.placement.pool).toBe('fast')
  expect(out.placement.segments).toEqual([{ start: T0 + 4 * HOUR, end: T0 + 5 * HOUR }])
  expect(out.placement.energyKwh).toBeCloseTo(0.7)
  // The latest safe start is the chosen pool's: 1 h (and the 10-min margin) before the deadline.
  expect(out.latestSafeStart).toBe(T0 + 11 * HOUR - 10 * 60_000)
  // The baseline runs on its own pool (the first), at its own speed.
  expect(out.baseline.pool).toBe('slow')
  expect(out.baseline.segments).toEqual([{ start: T0, end: T0 + 4 * HOUR }])
  expect(out.baseline.energyKwh).toBeCloseTo(1.2)
})

test('a window only the fast pool can hold is planned there, not refused', () => {
  const out = ok(planJob(job({ deadline: T0 + 2 * HOUR }), views, T0))
  expect(out.placement.pool).toBe('fast')
  expect(planJob(job({ deadline: T0 + 30 * 60_000 }), views, T0)).toMatchObject({ ok: false, reason: 'window-too-short' })
})

test('the batch, joint and re-planners place each pool at its own run time', () => {
  const reqs = [{ ...job(), id: 'a' }, { ...job({ pools: ['slow'] }), id: 'b' }]
  for (const out of [planJobs(reqs, views, T0), planJointly(reqs, views, T0)]) {
    const a = ok(out.get('a')).placement
    const b = ok(out.get('b')).placement
    expect(a.segments[0]!.end - a.segments[0]!.start).toBe(HOUR)
    expect(b.pool).toBe('slow')
    expect(b.segments.reduce((ms, s) => ms + s.end - s.start, 0)).toBe(4 * HOUR)
  }
  // Planned on the slow pool at 300 g/kWh, a re-plan moves it to the fast pool's clean hour, an hour long.
  const current = ok(planJob(job({ pools: ['slow'] }), views, T0)).placement
  const moves = replanMoves([{ id: 'a', req: job(), placement: { ...current, segments: [{ start: T0 + 8 * HOUR, end: T0 + 12 * HOUR }] }, started: false }], views, T0, { grams: 0, percent: 0 })
  expect(moves.map(m => [m.to.pool, m.to.segments])).toEqual([['fast', [{ start: T0 + 4 * HOUR, end: T0 + 5 * HOUR }]]])
})

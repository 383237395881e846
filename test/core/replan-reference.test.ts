import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { book, catalogFor, ledgerOf, planWith, repriced, type IdentifiedRequest } from '../../src/core/place.js'
import { checkRequest, latestSafeStart, plannerOptions } from '../../src/core/plan-request.js'
import type { PoolView } from '../../src/core/planner.js'
import { replanMoves, type Move, type PlannedJob, type ReplanThreshold } from '../../src/core/replan.js'
import type { Instant, Placement } from '../../src/core/types.js'
import { HOUR, MIN, pool, request, steps, T0 } from './helpers.js'

/**
 * `replanMoves` as first written: a ledger booked one job at a time, and every candidate planned
 * twice (an estimate, then again when its turn comes). The fast one must decide the same moves.
 */
function reference (current: readonly PlannedJob[], pools: readonly PoolView[], now: Instant, threshold: ReplanThreshold, marginMs: number): Move[] {
  const o = plannerOptions({ safetyMarginMs: marginMs })
  const ids = new Set(current.map(c => c.id))
  const views = pools.map(v => ({ ...v, reservations: v.reservations.filter(r => r.jobId === undefined || !ids.has(r.jobId)) }))
  const ledger = ledgerOf(views)
  const held = new Map<string, { req: IdentifiedRequest, placement: Placement }>()
  for (const c of current) {
    checkRequest(c.req)
    const req = { ...c.req, id: c.id }
    book(ledger, req, c.placement)
    held.set(c.id, { req, placement: c.placement })
  }
  const candidates = current.flatMap(c => {
    const start = c.placement.segments[0]?.start
    if (c.started || start === undefined || !(start > now)) return []
    const lss = latestSafeStart(c.req, o)
    const earliestStart = Math.max(c.req.earliestStart, now)
    return earliestStart > lss ? [] : [{ ...c.req, id: c.id, earliestStart, deadline: lss + c.req.durationMs }]
  })
  if (candidates.length === 0) return []
  const catalog = catalogFor(candidates, views)
  const o0 = { ...o, safetyMarginMs: 0 }
  const best = (r: IdentifiedRequest): Move | undefined => {
    const h = held.get(r.id)!
    const from = repriced(r, h.placement, catalog)
    book(ledger, h.req, h.placement, -1)
    const out = planWith(r, catalog, ledger, o0)
    book(ledger, h.req, h.placement)
    if (from === undefined || !out.ok) return undefined
    const savingGrams = from.grams - out.placement.grams
    return { id: r.id, from, to: out.placement, savingGrams, savingPercent: from.grams > 0 ? 100 * savingGrams / from.grams : 0 }
  }
  const estimate = new Map(candidates.map(r => [r.id, best(r)?.savingGrams ?? -Infinity]))
  const moves: Move[] = []
  for (const r of [...candidates].sort((a, b) => estimate.get(b.id)! - estimate.get(a.id)!)) {
    const move = best(r)
    if (move === undefined || !(move.savingGrams > threshold.grams && move.savingPercent > threshold.percent)) continue
    const { req, placement } = held.get(r.id)!
    book(ledger, req, placement, -1)
    book(ledger, req, move.to)
    held.set(r.id, { req, placement: move.to })
    moves.push(move)
  }
  return moves
}

const at = (h: number) => T0 + h * HOUR
const POOLS = [pool('a', { gpuCount: 3 }), pool('b', { gpuCount: 2 }), pool('c', { gpuCount: 4 })]
const jobArb = fc.record({
  pool: fc.integer({ min: 0, max: 2 }),
  start: fc.integer({ min: 0, max: 24 * 4 * 4 }),
  quarters: fc.integer({ min: 1, max: 12 }),
  gpus: fc.integer({ min: 1, max: 2 }),
  slackHours: fc.integer({ min: 0, max: 48 }),
  started: fc.boolean(),
  interruptible: fc.boolean(),
  pools: fc.subarray(['a', 'b', 'c'], { minLength: 1 })
})

describe('replanMoves (against the one-at-a-time reference)', () => {
  it('decides the same moves, in the same order, on crowded pools and under any threshold', () => {
    fc.assert(fc.property(
      fc.array(jobArb, { minLength: 1, maxLength: 40 }),
      fc.array(fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 24 * 5, maxLength: 24 * 5 }), { minLength: 3, maxLength: 3 }),
      fc.integer({ min: 0, max: 6 }),
      fc.constantFrom({ grams: 0, percent: 0 }, { grams: 1, percent: 1 }, { grams: 20, percent: 10 }),
      (jobs, values, nowHours, threshold) => {
        const now = at(nowHours) + 7 * MIN
        const views: PoolView[] = POOLS.map((p, i) => ({ pool: p, series: { ...steps(values[i]!), zone: p.zone }, reservations: [{ pool: p.name, start: at(30), end: at(40), gpus: 1 }] }))
        const current: PlannedJob[] = jobs.map((j, i) => {
          const p = POOLS[j.pool]!
          const start = T0 + j.start * 15 * MIN
          const durationMs = j.quarters * 15 * MIN
          return {
            id: `j${i}`,
            req: request({ gpus: j.gpus, durationMs, earliestStart: T0, deadline: start + durationMs + j.slackHours * HOUR, pools: j.pools, interruptible: j.interruptible, minSegmentMs: 15 * MIN }),
            placement: { pool: p.name, zone: p.zone, segments: [{ start, end: start + durationMs }], energyKwh: 1, grams: 0, signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: 'old', usesFallback: false },
            started: j.started
          }
        })
        expect(replanMoves(current, views, now, threshold, { safetyMarginMs: 10 * MIN })).toEqual(reference(current, views, now, threshold, 10 * MIN))
      }), { numRuns: 200 })
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bestSlices } from '../../src/core/interruptible.js'
import { prepare } from '../../src/core/series.js'
import type { Interval } from '../../src/core/types.js'
import { bruteCovered, bruteIntegral, HOUR, intervalsArb, meets, MIN, pointsArb, seriesOf, steps, T0 } from './helpers.js'

const Q = 5 * MIN
const slot = (i: number, j = i + 1): Interval => ({ start: T0 + i * Q, end: T0 + j * Q })
/** One 5-minute point per slot. */
const slots = (values: number[]) => prepare(steps(values, Q))

describe('bestSlices', () => {
  const p = slots([9, 1, 9, 9, 2, 9, 9, 9, 3, 9, 9, 9])
  const end = T0 + HOUR

  it('takes the cheapest slots when segments may be one slot long', () => {
    expect(bestSlices(p, T0, end, 15 * MIN, 0, 0, [])).toEqual({ segments: [slot(1), slot(4), slot(8)], integral: (1 + 2 + 3) * Q })
  })

  it('keeps every segment at least minSegment long', () => {
    const q = slots([9, 1, 1, 9, 9, 2, 2, 9, 9, 9, 9, 9])
    // 20 min of work in ≥ 10-min segments: [5, 15) and [25, 35) min, 1 + 1 + 2 + 2
    expect(bestSlices(q, T0, end, 20 * MIN, 10 * MIN, 0, [])).toEqual({ segments: [slot(1, 3), slot(5, 7)], integral: 6 * Q })
    // 3 slots cannot split into ≥ 2-slot segments: one segment, [9, 1, 9] and [1, 9, 9] tie, earliest wins
    expect(bestSlices(q, T0, end, 15 * MIN, 10 * MIN, 0, [])?.segments).toEqual([slot(0, 3)])
  })

  it('adds the resume overhead to every segment after the first', () => {
    const q = slots([9, 1, 1, 9, 9, 2, 2, 9, 9, 9, 9, 9])
    // a 5-min overhead slot before the second segment: 1 + 1 + (9) + 2 + 2 = 15 < 20 contiguous
    expect(bestSlices(q, T0, end, 20 * MIN, 10 * MIN, 5 * MIN, [])).toEqual({ segments: [slot(1, 3), slot(4, 7)], integral: 15 * Q })
    // with 15 min of overhead (27 extra) splitting no longer pays: one run of 4 slots, where
    // [9, 1, 1, 9] and [1, 1, 9, 9] tie at 20 and the earlier wins
    expect(bestSlices(q, T0, end, 20 * MIN, 10 * MIN, 15 * MIN, [])).toEqual({ segments: [slot(0, 4)], integral: 20 * Q })
  })

  it('runs a job shorter than minSegment as one segment', () => {
    const q = slots([9, 1, 9, 1, 9, 9])
    expect(bestSlices(q, T0, T0 + 30 * MIN, 10 * MIN, 30 * MIN, 0, [])).toEqual({ segments: [slot(0, 2)], integral: 10 * Q })
  })

  it('skips blocked slots and a partial last slot, rounding the duration up to slots', () => {
    // slot 1 blocked from its middle: the 9s tie, the earliest (slot 0) is taken
    const blocked = [{ start: T0 + 7 * MIN, end: T0 + 8 * MIN }]
    expect(bestSlices(p, T0, end, 15 * MIN, 0, 0, blocked)?.segments).toEqual([slot(0), slot(4), slot(8)])
    // 11 min rounds up to 3 slots; a deadline at 14 min leaves 2 whole slots
    expect(bestSlices(p, T0, T0 + 14 * MIN, 11 * MIN, 0, 0, [])).toBeUndefined()
    expect(bestSlices(p, T0, T0 + 15 * MIN, 11 * MIN, 0, 0, [])?.segments).toEqual([slot(0, 3)])
  })

  it('prefers the earliest slots on ties', () => {
    expect(bestSlices(slots(Array(12).fill(5)), T0, end, 15 * MIN, 0, 0, [])?.segments).toEqual([slot(0, 3)])
  })

  it('never uses time the series does not cover', () => {
    const q = prepare(seriesOf([{ start: T0 + 10 * MIN, end: T0 + 30 * MIN, gPerKwh: 1 }]))
    expect(bestSlices(q, T0, end, 15 * MIN, 0, 0, [])?.segments).toEqual([slot(2, 5)])
    expect(bestSlices(q, T0, end, 25 * MIN, 0, 0, [])).toBeUndefined()
  })

  it('coarsens the quantum beyond 2,000 slots', () => {
    // 10 days = 2,880 five-minute slots: the quantum becomes ceil(7.2 min) → 10 min
    const days = prepare(steps(Array.from({ length: 240 }, (_, h) => (h === 100 ? 1 : 50))))
    const got = bestSlices(days, T0 + 3 * MIN, T0 + 240 * HOUR, 25 * MIN, 0, 0, [])!
    expect(got.segments.reduce((sum, s) => sum + s.end - s.start, 0)).toBe(30 * MIN)
    for (const s of got.segments) expect((s.start - T0 - 3 * MIN) % (10 * MIN)).toBe(0)
    expect(got.segments[0]!.start).toBeGreaterThanOrEqual(T0 + 100 * HOUR)
  })

  it('equals brute force over every slot subset (≤ 14 slots)', () => {
    const scenario = fc.record({
      points: pointsArb(T0 - 10 * MIN, true, 8),
      earliestMin: fc.integer({ min: 0, max: 20 }),
      n: fc.integer({ min: 1, max: 14 }),
      extraMin: fc.integer({ min: 0, max: 4 }),
      durationMin: fc.integer({ min: 1, max: 70 }),
      minSegmentMin: fc.integer({ min: 0, max: 40 }),
      overheadMin: fc.integer({ min: 0, max: 12 }),
      blocked: intervalsArb(T0, 90, 2)
    })
    fc.assert(fc.property(scenario, s => {
      const earliest = T0 + s.earliestMin * MIN
      const got = bestSlices(prepare(seriesOf(s.points)), earliest, earliest + s.n * Q + s.extraMin * MIN,
        s.durationMin * MIN, s.minSegmentMin * MIN, s.overheadMin * MIN, s.blocked)
      const brute = bruteSlices(s.points, earliest, s.n, s.durationMin * MIN, s.minSegmentMin * MIN, s.overheadMin * MIN, s.blocked)
      expect(got).toEqual(brute)
    }), { numRuns: 400 })
  })
})

/** Every subset of n slots, checked against the rules; cheapest, then lexicographically earliest. */
function bruteSlices (points: Parameters<typeof bruteIntegral>[0], earliest: number, n: number, durationMs: number, minSegmentMs: number, overheadMs: number, blocked: Interval[]) {
  const d = Math.ceil(durationMs / Q)
  const m = Math.min(d, Math.max(1, Math.ceil(minSegmentMs / Q)))
  const o = Math.ceil(overheadMs / Q)
  const at = (i: number) => earliest + i * Q
  const usable = Array.from({ length: n }, (_, i) => bruteCovered(points, at(i), at(i + 1)) && !meets({ start: at(i), end: at(i + 1) }, blocked))
  let best: { mask: number, cost: number } | undefined
  for (let mask = 0; mask < 1 << n; mask++) {
    const used = (i: number) => (mask >> (n - 1 - i)) & 1 // slot 0 is the top bit: larger mask = earlier slots
    const runs: Array<[number, number]> = []
    for (let i = 0; i < n; i++) {
      if (!used(i)) continue
      if (!usable[i]) { runs.length = 0; runs.push([-1, -1]); break }
      const last = runs.at(-1)
      if (last !== undefined && last[1] === i) last[1] = i + 1
      else runs.push([i, i + 1])
    }
    if (runs.length === 0 || runs[0]![0] < 0) continue
    const work = runs.map(([a, b], k) => b - a - (k === 0 ? 0 : o))
    if (work.some(w => w < m) || work.reduce((x, y) => x + y, 0) !== d) continue
    const cost = runs.reduce((sum, [a, b]) => sum + bruteIntegral(points, at(a), at(b)), 0)
    if (best === undefined || cost < best.cost || (cost === best.cost && mask > best.mask)) best = { mask, cost }
  }
  if (best === undefined) return undefined
  const segments: Interval[] = []
  for (let i = 0; i < n; i++) {
    if (((best.mask >> (n - 1 - i)) & 1) === 0) continue
    const last = segments.at(-1)
    if (last !== undefined && last.end === at(i)) last.end = at(i + 1)
    else segments.push({ start: at(i), end: at(i + 1) })
  }
  return { segments, integral: best.cost }
}

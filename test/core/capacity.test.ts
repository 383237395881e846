import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CapacityLedger } from '../../src/core/capacity.js'
import { HOUR, T0 } from './helpers.js'

const at = (h: number) => T0 + h * HOUR

describe('CapacityLedger', () => {
  // pool a: 4 GPUs over [1 h, 3 h), 2 over [2 h, 5 h) → 4, 6, 2 over [1, 2), [2, 3), [3, 5)
  const ledger = () => new CapacityLedger([
    { pool: 'a', start: at(1), end: at(3), gpus: 4 },
    { pool: 'a', start: at(2), end: at(5), gpus: 2 },
    { pool: 'b', start: at(0), end: at(10), gpus: 8 }
  ])

  it('tracks the peak per pool', () => {
    const l = ledger()
    expect(l.peak('a', at(0), at(10))).toBe(6)
    expect(l.peak('a', at(3), at(10))).toBe(2)
    expect(l.peak('a', at(5), at(10))).toBe(0)
    expect(l.peak('a', at(0), at(1))).toBe(0)
    expect(l.peak('b', at(4), at(5))).toBe(8)
    expect(l.peak('nope', at(0), at(10))).toBe(0)
  })

  it('blocks where reserved + gpus > capacity, as maximal intervals clipped to the query', () => {
    const l = ledger()
    // capacity 8, job of 3: blocked where reserved > 5 → [2 h, 3 h)
    expect(l.blockedIntervals('a', 8, 3, at(0), at(10))).toEqual([{ start: at(2), end: at(3) }])
    // job of 5: blocked where reserved > 3 → [1 h, 3 h), joined across the 4 → 6 step
    expect(l.blockedIntervals('a', 8, 5, at(0), at(10))).toEqual([{ start: at(1), end: at(3) }])
    // job of 7: reserved > 1 → [1 h, 5 h)
    expect(l.blockedIntervals('a', 8, 7, at(0), at(10))).toEqual([{ start: at(1), end: at(5) }])
    expect(l.blockedIntervals('a', 8, 7, at(2), at(4))).toEqual([{ start: at(2), end: at(4) }])
    expect(l.blockedIntervals('a', 8, 9, at(2), at(4))).toEqual([{ start: at(2), end: at(4) }])
    expect(l.blockedIntervals('c', 8, 8, at(0), at(4))).toEqual([])
    expect(l.blockedIntervals('a', 8, 1, at(4), at(4))).toEqual([])
  })

  it('reserves incrementally and ignores empty reservations', () => {
    const l = ledger()
    l.reserve({ pool: 'a', start: at(4), end: at(6), gpus: 6, jobId: 'j' })
    l.reserve({ pool: 'a', start: at(7), end: at(7), gpus: 8 })
    l.reserve({ pool: 'a', start: at(7), end: at(8), gpus: 0 })
    expect(l.peak('a', at(4), at(5))).toBe(8)
    expect(l.peak('a', at(5), at(10))).toBe(6)
    expect(l.blockedIntervals('a', 8, 1, at(0), at(10))).toEqual([{ start: at(4), end: at(5) }])
    // levels now 4, 6, 2, 8, 6 over [1, 2), [2, 3), [3, 4), [4, 5), [5, 6): > 5 at [2, 3) and [4, 6)
    expect(l.blockedIntervals('a', 8, 3, at(0), at(10))).toEqual([{ start: at(2), end: at(3) }, { start: at(4), end: at(6) }])
  })

  it('agrees with a brute-force sweep after thousands of out-of-order reservations', () => {
    const l = new CapacityLedger()
    const kept: Array<{ start: number, end: number, gpus: number }> = []
    for (let i = 0; i < 20_000; i++) {
      const pool = `p${i % 20}`
      const start = at((i * 7919) % 480) // spread over 20 days, out of order
      const r = { pool, start, end: start + 3 * HOUR, gpus: 1 + (i % 4) }
      l.reserve(r)
      if (pool === 'p0') kept.push(r)
    }
    const level = (t: number) => kept.filter(r => r.start <= t && t < r.end).reduce((n, r) => n + r.gpus, 0)
    for (let h = 0; h < 490; h += 7) {
      expect(l.peak('p0', at(h), at(h) + 1)).toBe(level(at(h)))
    }
  })

  it('releases what was reserved, leaving the other reservations as they were', () => {
    const l = ledger()
    const moved = { pool: 'a', start: at(2), end: at(4), gpus: 3, jobId: 'm' }
    l.reserve(moved)
    expect(l.peak('a', at(2), at(3))).toBe(9)
    l.release(moved)
    expect(l.peak('a', at(0), at(10))).toBe(6)
    expect(l.blockedIntervals('a', 8, 3, at(0), at(10))).toEqual([{ start: at(2), end: at(3) }])
    // a thousand moves of one job back and forth leave one reservation's worth held
    for (let i = 0; i < 1000; i++) {
      const r = { pool: 'c', start: at(i % 7), end: at((i % 7) + 2), gpus: 2 }
      l.reserve(r)
      if (i < 999) l.release(r)
    }
    expect(l.peak('c', at(0), at(10))).toBe(2)
    expect(l.blockedIntervals('c', 2, 1, at(0), at(10))).toEqual([{ start: at(5), end: at(7) }])
  })
})

describe('CapacityLedger bulk build', () => {
  it('setPool (and the constructor) hold exactly what reserving one by one holds', () => {
    fc.assert(fc.property(fc.array(fc.record({
      start: fc.integer({ min: 0, max: 48 }), length: fc.integer({ min: 0, max: 12 }), gpus: fc.integer({ min: 1, max: 8 })
    }), { maxLength: 60 }), fc.integer({ min: 0, max: 60 }), (raw, cut) => {
      const reservations = raw.map(r => ({ pool: 'a', start: at(r.start), end: at(r.start + r.length), gpus: r.gpus }))
      const oneByOne = new CapacityLedger()
      for (const r of reservations) oneByOne.reserve(r)
      const bulk = new CapacityLedger(reservations)
      const replaced = new CapacityLedger([{ pool: 'a', start: at(0), end: at(99), gpus: 3 }])
      replaced.setPool('a', reservations)
      // Releasing some after the bulk build must land on the same steps too.
      for (const r of reservations.slice(0, cut)) { oneByOne.release(r); bulk.release(r); replaced.release(r) }
      for (let h = 0; h < 62; h++) {
        for (const gpus of [1, 4, 8]) {
          const want = oneByOne.blockedIntervals('a', 10, gpus, at(h), at(h + 3))
          expect(bulk.blockedIntervals('a', 10, gpus, at(h), at(h + 3))).toEqual(want)
          expect(replaced.blockedIntervals('a', 10, gpus, at(h), at(h + 3))).toEqual(want)
        }
        expect(bulk.peak('a', at(h), at(h + 1))).toBe(oneByOne.peak('a', at(h), at(h + 1)))
      }
    }), { numRuns: 200 })
  })
})

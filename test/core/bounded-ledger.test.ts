import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BoundedLedger } from '../../src/core/bounded-ledger.js'
import { CapacityLedger } from '../../src/core/capacity.js'
import { HOUR, T0 } from './helpers.js'

const at = (h: number) => T0 + h * HOUR
const reservation = fc.record({
  pool: fc.constantFrom('a', 'b'),
  start: fc.integer({ min: 0, max: 24 * 20 }),
  hours: fc.integer({ min: 1, max: 60 }),
  gpus: fc.integer({ min: 1, max: 6 })
}).map(r => ({ pool: r.pool, start: at(r.start), end: at(r.start + r.hours), gpus: r.gpus }))
const query = fc.record({
  pool: fc.constantFrom('a', 'b', 'c'),
  capacity: fc.integer({ min: 1, max: 16 }),
  gpus: fc.integer({ min: 1, max: 8 }),
  from: fc.integer({ min: -24, max: 24 * 22 }),
  hours: fc.integer({ min: 0, max: 24 * 28 })
})

describe('BoundedLedger', () => {
  it('blocks exactly where CapacityLedger does, through reserves and releases', () => {
    fc.assert(fc.property(fc.array(reservation, { maxLength: 40 }), fc.array(reservation, { maxLength: 20 }), fc.array(query, { minLength: 1, maxLength: 20 }), (seed, changes, queries) => {
      const plain = new CapacityLedger(seed)
      const bounded = new BoundedLedger(seed)
      changes.forEach((r, i) => {
        // Every other change frees a seeded reservation, so bounds outlive what they bounded.
        const freed = seed[i]
        if (i % 2 === 1 && freed !== undefined) {
          plain.release(freed)
          bounded.release(freed)
        }
        plain.reserve(r)
        bounded.reserve(r)
      })
      for (const q of queries) {
        const from = at(q.from)
        const to = from + q.hours * HOUR
        expect(bounded.blockedIntervals(q.pool, q.capacity, q.gpus, from, to)).toEqual(plain.blockedIntervals(q.pool, q.capacity, q.gpus, from, to))
      }
    }), { numRuns: 300 })
  })

  it('answers [] for a pool with room all day without walking, and walks only the days that are full', () => {
    const l = new BoundedLedger([
      { pool: 'a', start: at(1), end: at(3), gpus: 8 },
      { pool: 'a', start: at(24 * 5), end: at(24 * 5 + 2), gpus: 2 }
    ])
    expect(l.blockedIntervals('a', 8, 1, at(0), at(24 * 10))).toEqual([{ start: at(1), end: at(3) }])
    expect(l.blockedIntervals('a', 8, 1, at(24), at(24 * 10))).toEqual([])
    l.setPool('a', [])
    expect(l.blockedIntervals('a', 8, 1, at(0), at(24 * 10))).toEqual([])
  })
})

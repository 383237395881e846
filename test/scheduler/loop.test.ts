import { hostname } from 'node:os'
import { expect, test } from 'vitest'
import { holderId, leaseMsFor } from '../../src/scheduler/loop.js'
import { limitsFor } from '../../src/scheduler/pass.js'

test('each process names itself apart in the lease: host and pid are not unique across containers', () => {
  const a = holderId()
  const b = holderId()
  expect(a).not.toBe(b)
  expect(a.startsWith(`${hostname()}:${process.pid}:`)).toBe(true)
  expect(a).toMatch(/:[0-9a-f]{8}$/)
})

test('the lease is three ticks and at least a minute unless configured; a pass works within it', () => {
  expect(leaseMsFor(5_000)).toBe(60_000)
  expect(leaseMsFor(30_000)).toBe(90_000)
  expect(leaseMsFor(1_000, 5_000)).toBe(5_000)
  // Half the lease to start work, a third (at most 20 s) per executor call.
  expect(limitsFor(60_000)).toEqual({ budgetMs: 30_000, callTimeoutMs: 20_000, concurrency: 8 })
  expect(limitsFor(6_000)).toEqual({ budgetMs: 3_000, callTimeoutMs: 2_000, concurrency: 8 })
})

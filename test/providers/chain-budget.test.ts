import { describe, expect, it } from 'vitest'
import type { Instant, IntensityPoint, Series } from '../../src/core/types.js'
import { ProviderChain, type ChainBudget } from '../../src/providers/chain.js'
import { ProviderError, type IntensityProvider } from '../../src/providers/provider.js'
import { hangingProvider, manualTimers } from '../support/hang.js'

const HOUR = 3_600_000
const MIN = 60_000
const T0 = Date.UTC(2026, 10, 23, 10)

/** A provider answering `points(from, to)` at once. */
function answering (id: string, points: (from: Instant, to: Instant) => IntensityPoint[]): IntensityProvider {
  const answer = async (zone: string, from: Instant, to: Instant): Promise<Series> =>
    ({ zone, signal: 'average', source: `${id}:${zone}`, points: points(from, to) })
  return { id, signal: 'average', forecast: answer, actuals: answer }
}

const steps = (from: Instant, n: number, stepMs: number, value: (i: number) => number): IntensityPoint[] =>
  Array.from({ length: n }, (_, i) => ({ start: from + i * stepMs, end: from + (i + 1) * stepMs, gPerKwh: value(i) }))
const hourly = (from: Instant) => steps(from, 48, HOUR, () => 250)

/** A chain of `make(clock)` on a clock the test moves, with timers the test fires. */
function setup (make: (clock: { t: Instant }) => IntensityProvider[]) {
  const clock = { t: T0 }
  const timers = manualTimers()
  const chain = new ProviderChain({ members: make(clock).map(provider => ({ provider })), now: () => clock.t })
  const budget = (chainMs: number, memberMs: number): ChainBudget => ({ chainMs, memberMs, timeout: timers.timeout })
  return { clock, timers, chain, budget }
}

describe('ProviderChain budgets', () => {
  it('cuts a hanging provider off at its share and asks the next one, recording a timeout', async () => {
    const uk = hangingProvider('uk')
    const { timers, chain, budget } = setup(() => [uk, answering('replay', hourly)])
    const fetching = chain.fetch('forecast', 'GB', T0, T0 + 48 * HOUR, { budget: budget(30_000, 10_000) })
    await uk.called()
    expect(timers.asked()).toEqual([10_000])
    timers.fire()
    const { series, attempts } = await fetching
    expect(series?.source).toBe('replay:GB')
    expect(attempts.map(a => [a.provider, a.outcome, a.error])).toEqual([
      ['uk', 'timeout', 'timeout: no answer within 10000 ms, this provider\'s share of the chain\'s 30000 ms'],
      ['replay', 'ok', undefined]
    ])
    expect(chain.status().members[0]?.lastError).toBe('forecast: timeout: no answer within 10000 ms, this provider\'s share of the chain\'s 30000 ms')
  })

  it('gives each member the lesser of memberMs and an equal share of what is left; time left unused passes on', async () => {
    const deaf = hangingProvider('deaf', 'average', true)
    const failing = (clock: { t: Instant }): IntensityProvider => ({
      id: 'failing',
      signal: 'average',
      forecast: async (zone) => { clock.t += 1_000; throw new ProviderError('failing', zone, 'unavailable', 'HTTP 500') },
      actuals: async () => { throw new Error('not asked') }
    })
    const { clock, timers, chain: three, budget } = setup(c => [deaf, failing(c), answering('replay', hourly)])
    const fetching = three.fetch('forecast', 'GB', T0, T0 + 48 * HOUR, { budget: budget(12_000, 10_000) })
    await deaf.called()
    clock.t += 4_000
    // The deaf provider never settles, even when its signal aborts: the chain stops waiting all the same.
    timers.fire()
    const { series, attempts } = await fetching
    expect(timers.asked()).toEqual([4_000, 4_000, 7_000])
    expect(attempts.map(a => [a.provider, a.outcome, a.durationMs])).toEqual([['deaf', 'timeout', 4_000], ['failing', 'error', 1_000], ['replay', 'ok', 0]])
    expect(series?.source).toBe('replay:GB')
  })

  it('never overruns the chain budget: a member whose timer fired late leaves nothing for the rest', async () => {
    const uk = hangingProvider('uk')
    const { clock, timers, chain, budget } = setup(() => [uk, answering('replay', hourly)])
    const fetching = chain.fetch('forecast', 'GB', T0, T0 + 48 * HOUR, { budget: budget(10_000, 10_000) })
    await uk.called()
    expect(timers.asked()).toEqual([5_000])
    // A loaded machine: the 5 s timer fires 5 s late.
    clock.t += 10_000
    timers.fire()
    const { series, attempts } = await fetching
    expect(attempts.map(a => [a.provider, a.outcome])).toEqual([['uk', 'timeout']])
    expect(series).toBeUndefined()
  })
})

describe('ProviderChain checks each answer before it is used', () => {
  const garbage: Array<[string, IntensityPoint[], RegExp]> = [
    ['overlapping points', [...hourly(T0), { start: T0 + 30 * MIN, end: T0 + 90 * MIN, gPerKwh: 1 }], /bad data: intensity points overlap/],
    ['a value no grid emits', hourly(T0).map((p, i) => i === 3 ? { ...p, gPerKwh: 48_000 } : p), /bad data: 48000 g\/kWh at .* is outside 0..5000/],
    ['a negative value', hourly(T0).map((p, i) => i === 0 ? { ...p, gPerKwh: -1 } : p), /outside 0..5000/],
    ['a value that is not a number', hourly(T0).map((p, i) => i === 5 ? { ...p, gPerKwh: Number.NaN } : p), /outside 0..5000/]
  ]
  for (const [what, points, error] of garbage) {
    it(`an answer with ${what} is an error, and the next provider answers`, async () => {
      const { chain, budget } = setup(() => [answering('bad', () => points), answering('replay', hourly)])
      const { series, attempts } = await chain.fetch('forecast', 'GB', T0, T0 + 48 * HOUR, { budget: budget(30_000, 10_000) })
      expect(attempts.map(a => [a.provider, a.outcome])).toEqual([['bad', 'error'], ['replay', 'ok']])
      expect(attempts[0]?.error).toMatch(error)
      expect(series?.source).toBe('replay:GB')
    })
  }

  it('puts an answer at mixed resolutions on its own most common one, so one fetch stores one resolution', async () => {
    const mixed = (from: Instant) => [...steps(from, 4, 30 * MIN, i => 100 + 100 * i), ...steps(from + 2 * HOUR, 46, HOUR, () => 50)]
    const { chain, budget } = setup(() => [answering('mixed', mixed)])
    const { series } = await chain.fetch('forecast', 'GB', T0, T0 + 48 * HOUR, { budget: budget(30_000, 10_000) })
    expect(series?.points.slice(0, 3)).toEqual([
      { start: T0, end: T0 + HOUR, gPerKwh: 150 }, { start: T0 + HOUR, end: T0 + 2 * HOUR, gPerKwh: 350 }, { start: T0 + 2 * HOUR, end: T0 + 3 * HOUR, gPerKwh: 50 }
    ])
    expect(series?.points.every(p => p.end - p.start === HOUR)).toBe(true)
  })
})

import { describe, expect, test } from 'vitest'
import { checkReport, implausibleRun, MAX_RUN_MS, type RunFacts } from '../../src/core/plausible.js'
import { HOUR, MIN, T0 } from './helpers.js'

/** One GPU rated 400 W on a site of PUE 1.25, dispatched at T0; not started yet. */
const facts: RunFacts = { dispatchedAt: T0, startedAt: null, gpus: 1, wattsPerGpu: 400, pue: 1.25 }
const NOW = T0 + 2 * HOUR

const fields = (f: RunFacts, r: Parameters<typeof checkReport>[1], now = NOW) => checkReport(f, r, now).problems.map(p => p.field)

describe('checkReport', () => {
  test('a plausible report is booked as reported', () => {
    const r = checkReport(facts, { startedAt: T0 + MIN, finishedAt: T0 + HOUR, energyKwh: 0.5, metered: 'gpus' }, NOW)
    expect(r).toEqual({ problems: [], booked: { startedAt: T0 + MIN, finishedAt: T0 + HOUR, energyKwh: 0.5, powerW: null } })
  })

  test('a start more than 1 min before the dispatch, or after now + 1 min, names startedAt', () => {
    expect(fields(facts, { startedAt: T0 - 59_000, metered: 'gpus' })).toEqual([])
    expect(fields(facts, { startedAt: T0 - 61_000, metered: 'gpus' })).toEqual(['startedAt'])
    expect(fields(facts, { startedAt: Date.UTC(1970, 0, 1), metered: 'wall' })).toEqual(['startedAt'])
    expect(fields(facts, { startedAt: NOW + 59_000, metered: 'gpus' })).toEqual([])
    expect(fields(facts, { startedAt: NOW + 61_000, metered: 'gpus' })).toEqual(['startedAt'])
    expect(fields(facts, { startedAt: NaN, metered: 'gpus' })).toEqual(['startedAt'])
  })

  test('a finish after now + 1 min, before the reported start, or well before the booked start names finishedAt', () => {
    expect(fields(facts, { startedAt: T0, finishedAt: Date.UTC(9999, 11, 31, 23, 59, 59), metered: 'gpus' })).toEqual(['finishedAt'])
    expect(fields(facts, { startedAt: T0 + HOUR, finishedAt: T0 + HOUR - 1, metered: 'wall' })).toEqual(['finishedAt'])
    const started = { ...facts, startedAt: T0 + HOUR }
    // Another clock: up to 1 min before the start greenshift booked is skew, and booked at the start.
    expect(checkReport(started, { finishedAt: T0 + HOUR - 30_000, metered: 'gpus' }, NOW)).toMatchObject({ problems: [], booked: { finishedAt: T0 + HOUR } })
    expect(fields(started, { finishedAt: T0 + HOUR - 61_000, metered: 'gpus' })).toEqual(['finishedAt'])
    expect(fields(facts, { finishedAt: T0 - 2 * MIN, metered: 'gpus' })).toEqual(['finishedAt'])
  })

  test('energy is at most GPUs × rated W × 1.5 over the run; × PUE only when metered at the wall', () => {
    // 1 GPU × 400 W × 1.5 = 0.6 kW; for 1 h (+ 1 min of skew) 0.61 kWh of GPU energy, 0.7625 kWh at the wall.
    const run = { startedAt: T0, finishedAt: T0 + HOUR }
    expect(fields(facts, { ...run, energyKwh: 0.6, metered: 'gpus' })).toEqual([])
    expect(fields(facts, { ...run, energyKwh: 0.62, metered: 'gpus' })).toEqual(['energyKwh'])
    expect(fields(facts, { ...run, energyKwh: 0.75, metered: 'wall' })).toEqual([])
    expect(fields(facts, { ...run, energyKwh: 0.77, metered: 'wall' })).toEqual(['energyKwh'])
    expect(fields(facts, { ...run, energyKwh: -0.1, metered: 'wall' })).toEqual(['energyKwh'])
    expect(fields(facts, { ...run, energyKwh: NaN, metered: 'wall' })).toEqual(['energyKwh'])
  })

  test('the issue\'s report: started 3 h before a dispatch seconds ago, 5,000 kWh; both named, nothing measured booked', () => {
    const now = T0 + 30_000
    const r = checkReport({ ...facts, startedAt: T0 + 5_000 }, { startedAt: T0 - 3 * HOUR, finishedAt: now, energyKwh: 5000, metered: 'gpus' }, now)
    expect(r.problems.map(p => p.field)).toEqual(['startedAt', 'energyKwh'])
    expect(r.problems[1]?.message).toMatch(/^5000 kWh is not within 0\.\.0\.014 kWh/)
    expect(r.booked).toEqual({ startedAt: T0, finishedAt: now, energyKwh: null, powerW: null })
  })

  test('the run is measured from the booked start, else the dispatch, never from a start the report claims', () => {
    // Reported as started an hour before the booked start: the energy of that hour is not allowed.
    const started = { ...facts, startedAt: T0 + HOUR }
    expect(fields(started, { startedAt: T0, finishedAt: T0 + 2 * HOUR, energyKwh: 1, metered: 'gpus' })).toEqual(['energyKwh'])
    // Nothing booked nor reported: from the dispatch, the longest the run can have been.
    expect(fields(facts, { finishedAt: T0 + HOUR, energyKwh: 0.6, metered: 'gpus' })).toEqual([])
  })

  test('heartbeats: energy so far up to now + 1 min, power at most the GPUs\' headroom', () => {
    const running = { ...facts, startedAt: T0 }
    expect(fields(running, { energyKwh: 1.2, powerW: 600, metered: 'gpus' })).toEqual([])
    expect(fields(running, { energyKwh: 1.22, metered: 'gpus' })).toEqual(['energyKwh'])
    expect(fields(running, { powerW: 601, metered: 'gpus' })).toEqual(['powerW'])
    expect(fields(running, { powerW: 750, metered: 'wall' })).toEqual([])
    expect(checkReport(running, { powerW: 5e6, energyKwh: 0.1, metered: 'wall' }, NOW).booked).toEqual({ startedAt: null, finishedAt: null, energyKwh: null, powerW: null })
  })

  test('an implausible report is booked clamped into [dispatch, now], ending no earlier than it starts', () => {
    expect(checkReport(facts, { startedAt: Date.UTC(1970, 0, 1), finishedAt: Date.UTC(9999, 0, 1), energyKwh: 1, metered: 'wall' }, NOW).booked)
      .toEqual({ startedAt: T0, finishedAt: NOW, energyKwh: null, powerW: null })
    expect(checkReport(facts, { startedAt: T0 + HOUR, finishedAt: T0, metered: 'wall' }, NOW).booked)
      .toMatchObject({ startedAt: T0 + HOUR, finishedAt: T0 + HOUR })
  })
})

describe('implausibleRun', () => {
  const run = { dispatchedAt: T0, startedAt: T0, finishedAt: T0 + HOUR }
  test('a run within its window, and one not closed, can be priced', () => {
    expect(implausibleRun(run, NOW)).toBeUndefined()
    expect(implausibleRun({ ...run, finishedAt: null }, NOW)).toBeUndefined()
  })
  test.each([
    ['started in 1970', { startedAt: Date.UTC(1970, 0, 1) }, /before it was dispatched/],
    ['finished before it started', { finishedAt: T0 - 1 }, /before it started/],
    ['finished in 9999', { finishedAt: Date.UTC(9999, 0, 1) }, /in the future/],
    ['ran longer than 62 days', { dispatchedAt: T0 - MAX_RUN_MS - HOUR, startedAt: T0 - MAX_RUN_MS - HOUR }, /longer than the 1488 h/]
  ])('a run that %s is refused', (_name, over, why) => {
    expect(implausibleRun({ ...run, ...over }, NOW)).toMatch(why)
  })
})

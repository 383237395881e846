import { describe, expect, it } from 'vitest'
import type { IntensityPoint } from '../../src/core/types.js'
import { simulate } from '../../src/sim/engine.js'
import { ForecastArchive, parseForecastCsv } from '../../src/sim/forecast.js'
import { parseJobsCsv, type SimJob } from '../../src/sim/jobs-csv.js'
import { meanIntensity, rng, withNoise } from '../../src/sim/noise.js'
import type { SimInput, SimZone } from '../../src/sim/types.js'
import { fixture, HOUR, MIN, T0 } from './helpers.js'

/** Hourly from T0: the job rows below are checked by hand against these six values. */
const HOURLY = [100, 50, 10, 80, 20, 90]

function series (values: number[], stepMs = HOUR, start = T0): IntensityPoint[] {
  return values.map((g, i) => ({ start: start + i * stepMs, end: start + (i + 1) * stepMs, gPerKwh: g }))
}

function zone (values = HOURLY, extra: Partial<SimZone> = {}): SimZone {
  return { zone: 'Z', actual: series(values), source: 'test', ...extra }
}

const jobs = parseJobsCsv(fixture('jobs.csv'), { name: 'jobs.csv' })

function input (z: SimZone, list: SimJob[] = jobs): SimInput {
  return { zones: [z], jobs: list, signal: 'average' }
}

describe('simulate on a hand-checkable series', () => {
  it('prices baseline, planned and oracle exactly (1 kW: grams = Σ g/kWh × hours)', () => {
    const { summary, jobs: rows } = simulate(input(zone()))
    // a (2 h, contiguous): at once 100 + 50; best window 01:00–03:00 = 50 + 10.
    // b (2 h, interruptible): the two cheapest hours, 02:00 (10) and 04:00 (20).
    // c (1 h from 02:00, due 05:00): 02:00 is already the cheapest hour.
    expect(rows.map(r => [r.jobId, r.baselineG, r.plannedG, r.oracleG, r.segments])).toEqual([
      ['a', 150, 60, 60, 1], ['b', 150, 30, 30, 2], ['c', 10, 10, 10, 1]
    ])
    expect(rows[1]!.plannedSegments).toEqual([{ start: T0 + 2 * HOUR, end: T0 + 3 * HOUR }, { start: T0 + 4 * HOUR, end: T0 + 5 * HOUR }])
    expect(summary).toMatchObject({ jobs: 3, baselineG: 310, plannedG: 100, oracleG: 100, capturedPct: 100, deadlineMisses: 0, plannerSaw: 'actual' })
    expect(summary.savingPct).toBeCloseTo(100 * (1 - 100 / 310), 10)
    expect(summary.meanJobSavingPct).toBeCloseTo(100 * (0.6 + 0.8 + 0) / 3, 10)
  })

  it('scales with --kw, and makes every job interruptible with the option unless its row says no', () => {
    expect(simulate(input(zone()), { kw: 2.5 }).summary).toMatchObject({ baselineG: 775, plannedG: 250 })
    const all = simulate(input(zone()), { interruptible: true }).jobs.map(r => r.plannedG)
    expect(all).toEqual([60, 30, 10]) // a says interruptible=false
  })

  it('lets the baseline start up to baselineFlexMinutes late on the step grid, at the cheapest step', () => {
    const flex = (minutes: number) => simulate(input(zone()), { baselineFlexMinutes: minutes }).jobs.map(r => r.baselineG)
    expect(flex(30)).toEqual([150, 150, 10]) // less than one 1-h step: still at arrival
    expect(flex(60)).toEqual([60, 60, 10]) // a, b: 01:00 (50 + 10) beats 00:00; c: 02:00 (10) beats 03:00 (80)
  })
})

describe('simulate with a forecast', () => {
  const archive = parseForecastCsv(fixture('forecast.csv'), { name: 'forecast.csv' })

  it('plans on the forecast current at arrival and accounts on the actual series', () => {
    const { summary, jobs: rows } = simulate(input(zone(HOURLY, { forecast: archive, forecastSource: 'test' })))
    // The 00:00 issue says 04:00–06:00 costs 5 + 5: a and b go there and emit 20 + 90 = 110.
    // c arrives at 02:00, when the 02:00 issue (02:00 costs 1) is the newest: it runs at 02:00.
    expect(rows.map(r => [r.jobId, r.plannedG, r.oracleG, r.start])).toEqual([
      ['a', 110, 60, T0 + 4 * HOUR], ['b', 110, 30, T0 + 4 * HOUR], ['c', 10, 10, T0 + 2 * HOUR]
    ])
    expect(summary).toMatchObject({ baselineG: 310, plannedG: 230, oracleG: 100, deadlineMisses: 0, plannerSaw: 'forecast:test', fallbackJobs: 0 })
    expect(summary.capturedPct).toBeCloseTo(100 * 80 / 210, 10)
  })

  it('beyond the horizon uses the labelled fallback and still finishes by the deadline', () => {
    // One issue covering 00:00–02:00 only, while a and b may run until 06:00.
    const short = new ForecastArchive([{ issuedAt: T0, points: series([100, 90]) }])
    const { summary, jobs: rows } = simulate(input(zone(HOURLY, { forecast: short }), jobs.slice(0, 2)))
    expect(summary.deadlineMisses).toBe(0)
    for (const r of rows) {
      expect(r.start).toBeGreaterThanOrEqual(T0)
      expect(r.end).toBeLessThanOrEqual(T0 + 6 * HOUR)
      expect(r.plannedG).toBeGreaterThanOrEqual(r.oracleG)
    }
    // The fallback repeats the known 2 h (100, 90): every 2-h window of a costs the same, so a runs at
    // once inside the horizon; b's two cheapest slots are 01:00 and 03:00, the second on the fallback.
    expect(rows.map(r => [r.jobId, r.start, r.usesFallback])).toEqual([['a', T0, false], ['b', T0 + HOUR, true]])
    expect(summary.fallbackJobs).toBe(1)
  })

  it('counts a job the planner cannot place (no forecast yet) as a miss at its baseline', () => {
    const late = new ForecastArchive([{ issuedAt: T0 + 3 * HOUR, points: series([1, 1, 1], HOUR, T0 + 3 * HOUR) }])
    const { summary, jobs: rows } = simulate(input(zone(HOURLY, { forecast: late }), jobs.slice(0, 1)))
    expect(summary.deadlineMisses).toBe(1)
    expect(rows[0]).toMatchObject({ plannedG: 150, pool: undefined, missed: true })
    expect(rows[0]!.failure).toMatch(/^no-intensity-data/)
  })
})

/** 4 days of 15-minute points: a daily cycle plus noise, like a real average signal. */
function realistic (): IntensityPoint[] {
  const r = rng(7)
  return Array.from({ length: 4 * 96 }, (_, i) => {
    const hour = (i / 4) % 24
    return { start: T0 + i * 15 * MIN, end: T0 + (i + 1) * 15 * MIN, gPerKwh: 250 + 120 * Math.sin(Math.PI * hour / 12) + 40 * r() }
  })
}

function manyJobs (n: number, gpus: (i: number) => number = () => 1, interruptible = false): SimJob[] {
  const r = rng(11)
  return Array.from({ length: n }, (_, i) => {
    const arrival = T0 + Math.floor(r() * 48) * HOUR
    const durationMs = (1 + Math.floor(r() * 4)) * HOUR
    return { id: `j${i}`, line: i + 2, arrival, durationMs, deadline: arrival + durationMs + (2 + Math.floor(r() * 20)) * HOUR, gpus: gpus(i), interruptible }
  })
}

describe('simulate with seeded noise', () => {
  it('draws noise of σ = pct % of the mean, the same for the same seed', () => {
    const actual = realistic()
    const noisy = withNoise(actual, 10, 3)
    const diffs = noisy.map((p, i) => p.gPerKwh - actual[i]!.gPerKwh)
    const sd = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / diffs.length)
    expect(sd / (0.1 * meanIntensity(actual))).toBeGreaterThan(0.85)
    expect(sd / (0.1 * meanIntensity(actual))).toBeLessThan(1.15)
    expect(withNoise(actual, 10, 3)).toEqual(noisy)
  })

  it('plans on the noisy view: never better than the oracle, deterministic per seed', () => {
    const z: SimZone = { zone: 'Z', actual: realistic(), source: 'test' }
    const list = manyJobs(40)
    const run = (seed: number) => simulate(input(z, list), { noise: { pct: 20, seed } })
    const a = run(1)
    expect(a.summary.plannerSaw).toBe('noise 20 % of the mean (seed 1)')
    expect(run(1)).toEqual(a)
    expect(run(2).summary.plannedG).not.toBe(a.summary.plannedG)
    for (const r of a.jobs) expect(r.plannedG).toBeGreaterThanOrEqual(r.oracleG - 1e-9 * r.oracleG)
    expect(a.summary.capturedPct!).toBeLessThan(100)
    expect(a.summary.deadlineMisses).toBe(0)
  })
})

import { describe, expect, it } from 'vitest'
import type { IntensityPoint } from '../../src/core/types.js'
import { simulate } from '../../src/sim/engine.js'
import type { SimJob } from '../../src/sim/jobs-csv.js'
import { rng } from '../../src/sim/noise.js'
import type { SimPool } from '../../src/sim/pools-json.js'
import type { SimInput, SimJobResult } from '../../src/sim/types.js'
import { HOUR, inputError, MIN, T0 } from './helpers.js'

/** 3 days of 15-minute points with a daily cycle, scaled: zone X (× 0.3) is the cleaner one. */
function series (scale: number, seed: number): IntensityPoint[] {
  const r = rng(seed)
  return Array.from({ length: 3 * 96 }, (_, i) => {
    const hour = (i / 4) % 24
    return { start: T0 + i * 15 * MIN, end: T0 + (i + 1) * 15 * MIN, gPerKwh: scale * (250 + 120 * Math.sin(Math.PI * hour / 12) + 40 * r()) }
  })
}

const POOLS: SimPool[] = [
  { name: 'x', zone: 'X', gpuCount: 2, wattsPerGpu: 1000, pue: 1 },
  { name: 'y', zone: 'Y', gpuCount: 3, wattsPerGpu: 500, pue: 1.2 }
]

/** 60 jobs of 1–2 GPUs, 1–4 h, arriving over the first day, 2–12 h of slack, half of them interruptible. */
function jobs (): SimJob[] {
  const r = rng(5)
  return Array.from({ length: 60 }, (_, i) => {
    const arrival = T0 + Math.floor(r() * 96) * 15 * MIN
    const durationMs = (1 + Math.floor(r() * 4)) * HOUR
    return {
      id: `j${i}`, line: i + 2, arrival, durationMs, deadline: arrival + durationMs + (2 + Math.floor(r() * 11)) * HOUR,
      gpus: 1 + Math.floor(r() * 2), interruptible: i % 2 === 0, pool: i % 3 === 0 ? 'x' : 'y'
    }
  })
}

function input (list: SimJob[] = jobs()): SimInput {
  return {
    zones: [{ zone: 'X', actual: series(0.3, 1), source: 'x' }, { zone: 'Y', actual: series(1, 2), source: 'y' }],
    jobs: list,
    pools: POOLS,
    signal: 'average'
  }
}

/** Most GPUs the planned runs hold at once in `pool`, by a sweep over segment ends. */
function peak (rows: readonly SimJobResult[], list: readonly SimJob[], pool: string): number {
  const gpus = new Map(list.map(j => [j.id, j.gpus]))
  const events = rows.filter(r => r.pool === pool).flatMap(r => r.plannedSegments.flatMap(s => [[s.start, gpus.get(r.jobId)!], [s.end, -gpus.get(r.jobId)!]]))
  events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!)
  let held = 0
  let most = 0
  for (const [, d] of events) most = Math.max(most, held += d!)
  return most
}

describe('simulate with --pools', () => {
  it('never holds more GPUs than a pool has, and keeps every job inside its window', () => {
    const list = jobs()
    for (const noise of [undefined, { pct: 10, seed: 4 }]) {
      const { jobs: rows } = simulate(input(list), noise === undefined ? {} : { noise })
      expect(peak(rows, list, 'x')).toBe(2) // filled to the brim, never over
      expect(peak(rows, list, 'y')).toBeLessThanOrEqual(3)
      for (const r of rows) {
        const job = list.find(j => j.id === r.jobId)!
        if (r.missed) expect(r.failure).toMatch(/^no-capacity/)
        else expect([r.start! >= job.arrival, r.end! <= job.deadline]).toEqual([true, true])
      }
    }
  })

  it('shifts jobs to the cleaner zone and prices the baseline at arrival on the home pool', () => {
    const list = jobs()
    const { summary, jobs: rows } = simulate(input(list))
    expect(rows.some(r => r.pool === 'x' && list.find(j => j.id === r.jobId)!.pool === 'y')).toBe(true)
    // x draws 1 kW per GPU against y's 0.6 kW, so X's 0.3× intensity is half the grams per GPU-hour.
    expect(summary.savingPct).toBeGreaterThan(5) // 10.0 %: x holds only 2 of the 5 GPUs
    // j1's home is y: its GPUs × 500 W × PUE 1.2, contiguously from arrival, on Y's series.
    const j1 = list[1]!
    const y = input(list).zones[1]!.actual
    const kw = j1.gpus * 0.5 * 1.2
    const expected = y.reduce((g, p) => g + p.gPerKwh * kw * Math.max(0, Math.min(p.end, j1.arrival + j1.durationMs) - Math.max(p.start, j1.arrival)) / HOUR, 0)
    expect(rows.find(r => r.jobId === 'j1')!.baselineG).toBeCloseTo(expected, 6)
  })

  it('counts a job too large for every pool as a deadline miss', () => {
    const big: SimJob = { id: 'big', line: 2, arrival: T0, durationMs: HOUR, deadline: T0 + 5 * HOUR, gpus: 5 }
    const { summary, jobs: rows } = simulate(input([big]))
    expect(summary.deadlineMisses).toBe(1)
    expect(rows[0]!.failure).toMatch(/^too-many-gpus/)
  })

  it('names the jobs file line for an unknown pool or zone, a job outside the data, or a missing zone', () => {
    const job: SimJob = { id: 'q', line: 7, arrival: T0, durationMs: HOUR, deadline: T0 + 2 * HOUR, gpus: 1 }
    const named = (over: Partial<SimJob>, extra: Partial<SimInput> = {}) =>
      inputError(() => simulate({ ...input([{ ...job, ...over }]), jobsName: 'jobs.csv', ...extra })).message
    expect(named({ pool: 'z' })).toMatch(/^jobs\.csv line 7, column pool: "z" is not a pool/)
    expect(named({ zone: 'Q' })).toMatch(/^jobs\.csv line 7, column zone: "Q" has no intensity data/)
    expect(named({ deadline: T0 + 99 * HOUR })).toMatch(/^jobs\.csv line 7, column arrival_utc: job q needs intensity for zone X/)
    const noPools = input([job])
    delete noPools.pools
    expect(inputError(() => simulate({ ...noPools, jobsName: 'jobs.csv' })).message).toBe('jobs.csv line 7, column zone: is needed when several --intensity zones are given without --pools')
    expect(named({}, { zones: input().zones.slice(0, 1), poolsName: 'pools.json' })).toBe('pools.json: pool y is in zone Y, which has no --intensity file')
  })
})

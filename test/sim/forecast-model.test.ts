import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { simulateCommand } from '../../src/cli/simulate.js'
import { medianPoints } from '../../src/forecast/from-points.js'
import { GREENSHIFT_MODEL, persistence } from '../../src/forecast/index.js'
import { simulate } from '../../src/sim/engine.js'
import { parseIntensityFile } from '../../src/sim/intensity-formats.js'
import type { SimJob } from '../../src/sim/jobs-csv.js'
import type { SimInput } from '../../src/sim/types.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2022, 2, 7) // a Monday
const DAYS = 20

/** Every day the same: 400 g/kWh, 100 from 03:00 to 04:00; `override` changes single hours. */
function input (override: (i: number) => number | undefined = () => undefined): SimInput {
  const actual = Array.from({ length: DAYS * 24 }, (_, i) => ({ start: T0 + i * HOUR, end: T0 + (i + 1) * HOUR, gPerKwh: override(i) ?? (i % 24 === 3 ? 100 : 400) }))
  // One-hour jobs arriving at 12:00 on days 10–17, due within 24 h.
  const jobs: SimJob[] = Array.from({ length: 8 }, (_, d) => ({ id: `j${d}`, line: d + 2, arrival: T0 + (10 + d) * 24 * HOUR + 12 * HOUR, durationMs: HOUR, deadline: T0 + (11 + d) * 24 * HOUR + 12 * HOUR, gpus: 1 }))
  return { zones: [{ zone: 'Z', actual, source: 'synthetic' }], jobs, signal: 'average' }
}

test('a model forecasts from the actuals before each arrival: a day that repeats is caught in full, by both models', () => {
  for (const model of [GREENSHIFT_MODEL, persistence]) {
    const { summary, jobs } = simulate(input(), { forecastModel: model })
    expect(summary.plannerSaw).toBe(`model:greenshift-${model.name}`)
    expect(summary.capturedPct).toBeCloseTo(100, 9)
    expect(jobs.every(j => new Date(j.start!).getUTCHours() === 3)).toBe(true)
  }
})

test('no look-ahead: changing what comes after an arrival changes no plan made before it', () => {
  // From day 15 on, the green hour is 08:00 (50 g/kWh): known only once it has happened.
  const moved = input(i => Math.floor(i / 24) >= 15 ? (i % 24 === 8 ? 50 : 400) : undefined)
  const plain = simulate(input(), { forecastModel: GREENSHIFT_MODEL }).jobs
  const surprised = simulate(moved, { forecastModel: GREENSHIFT_MODEL })
  // Jobs arriving on days 10–14 (the last one planning into day 15) plan as before: they could not know.
  const before = (jobs: typeof plain) => jobs.filter(j => Number(j.jobId.slice(1)) <= 4).map(j => j.start)
  expect(before(surprised.jobs)).toEqual(before(plain))
  expect(new Date(surprised.jobs[4]!.start!).getUTCHours()).toBe(3)
  // Later arrivals have seen the new hour and follow it.
  expect(new Date(surprised.jobs[7]!.start!).getUTCHours()).toBe(8)
  expect(surprised.summary.capturedPct!).toBeLessThan(100)
})

test('simulate --forecast-model greenshift reports persistence\'s share beside its own, from the same run', () => {
  const files = new Map<string, string>([
    ['z.csv', 'start_utc,g_per_kwh\n' + input().zones[0]!.actual.map(p => `${new Date(p.start).toISOString()},${p.gPerKwh}`).join('\n') + '\n'],
    ['jobs.csv', 'job_id,arrival_utc,duration_minutes,deadline_utc\n' + input().jobs.map(j => `${j.id},${new Date(j.arrival).toISOString()},60,${new Date(j.deadline).toISOString()}`).join('\n') + '\n']
  ])
  let out = ''
  let err = ''
  const code = simulateCommand(['--intensity', 'Z=z.csv', '--jobs', 'jobs.csv', '--forecast-model', 'greenshift', '--json'], { out: s => { out += s }, err: s => { err += s }, errIsTTY: false, readFile: p => files.get(p)! })
  expect([code, err]).toEqual([0, ''])
  expect(JSON.parse(out)).toMatchObject({ plannerSaw: 'model:greenshift-ew-profile', capturedPct: 100, persistence: { plannerSaw: 'model:greenshift-persistence', capturedPct: 100 } })
  // --risk averse plans on the band's p90 and says so; without the model there is no band to weigh.
  out = ''
  expect(simulateCommand(['--intensity', 'Z=z.csv', '--jobs', 'jobs.csv', '--forecast-model', 'greenshift', '--risk', 'averse', '--json'], { out: s => { out += s }, err: () => {}, errIsTTY: false, readFile: p => files.get(p)! })).toBe(0)
  expect(JSON.parse(out)).toMatchObject({ risk: 'averse', plannerSaw: 'model:greenshift-ew-profile' })
  err = ''
  expect(simulateCommand(['--intensity', 'Z=z.csv', '--jobs', 'jobs.csv', '--risk', 'averse'], { out: () => {}, err: s => { err += s }, errIsTTY: false, readFile: p => files.get(p)! })).toBe(2)
  expect(err).toContain('--risk weighs the band of greenshift\'s forecast: give it with --forecast-model greenshift')
  let usage = ''
  expect(simulateCommand(['--intensity', 'Z=z.csv', '--jobs', 'jobs.csv', '--forecast-model', 'oracle'], { out: () => {}, err: s => { usage += s }, errIsTTY: false, readFile: p => files.get(p)! })).toBe(2)
  expect(usage).toContain('--forecast-model must be one of greenshift, persistence, got "oracle"')
})

test('simulate --help prints the usage on stdout and exits 0', () => {
  let out = ''
  let err = ''
  expect(simulateCommand(['--help'], { out: s => { out += s }, err: s => { err += s }, errIsTTY: false })).toBe(0)
  expect(out).toContain('usage: greenshift simulate --intensity ZONE=FILE')
  expect(out).toContain('--forecast-model')
  expect(err).toBe('')
})

test('the planned run sees the model\'s hours with their p10 and p90, which risk averse minimises', () => {
  const forecast = { p10: [90, 90, 10], p50: [100, 100, 60], p90: [110, 110, 400] }
  const points = medianPoints(forecast, 0)
  expect(points[2]).toEqual({ start: 2 * 3_600_000, end: 3 * 3_600_000, gPerKwh: 60, p10: 10, p90: 400 })
})

test('risk averse changes what the planned run chooses on real data: the model\'s band is wider a day ahead, so some jobs stay nearer', () => {
  const file = new URL('../../data/zones-2022/DE.csv', import.meta.url).pathname
  const actual = parseIntensityFile(readFileSync(file, 'utf8'), { name: 'DE.csv' }).points
  const start = Date.UTC(2022, 10, 1)
  const jobs: SimJob[] = Array.from({ length: 40 }, (_, i) => ({ id: `j${i}`, line: i + 2, arrival: start + i * 6 * HOUR, durationMs: HOUR, deadline: start + i * 6 * HOUR + 49 * HOUR, gpus: 1 }))
  const input: SimInput = { zones: [{ zone: 'DE', actual, source: 'DE.csv' }], jobs, signal: 'average' }
  const neutral = simulate(input, { forecastModel: GREENSHIFT_MODEL })
  const averse = simulate(input, { forecastModel: GREENSHIFT_MODEL, risk: 'averse' })
  const moved = averse.jobs.filter((j, i) => j.start !== neutral.jobs[i]!.start)
  expect(moved.length).toBeGreaterThan(0)
  // Each moved job starts no later than the neutral choice: the nearer hour is the surer one.
  for (const j of moved) expect(j.start!).toBeLessThan(neutral.jobs.find(n => n.jobId === j.jobId)!.start!)
  expect(averse.summary.deadlineMisses).toBe(0)
})

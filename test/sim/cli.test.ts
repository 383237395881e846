import { describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/commands.js'
import { simulateCommand } from '../../src/cli/simulate.js'
import { fixturePath } from './helpers.js'

/** Runs `greenshift simulate` on fixture files; `--out` lands in `written`. */
function run (...args: string[]): { code: number, out: string, err: string, written: Map<string, string> } {
  let out = ''
  let err = ''
  const written = new Map<string, string>()
  const code = simulateCommand(args, { out: s => { out += s }, err: s => { err += s }, errIsTTY: false, writeFile: (p, t) => written.set(p, t) })
  return { code, out, err, written }
}

const BASE = ['--intensity', `Z=${fixturePath('intensity.csv')}`, '--jobs', fixturePath('jobs.csv')]

describe('greenshift simulate', () => {
  it('prints the JSON summary and writes one row per job with --out', () => {
    const { code, out, err, written } = run(...BASE, '--json', '--out', 'per-job.csv')
    expect([code, err]).toEqual([0, ''])
    expect(JSON.parse(out)).toMatchObject({
      jobs: 3, baselineG: 310, plannedG: 100, oracleG: 100, capturedPct: 100, deadlineMisses: 0, signal: 'average', source: 'csv:intensity.csv', plannerSaw: 'actual'
    })
    expect(written.get('per-job.csv')!.split('\n')).toEqual([
      'job_id,baseline_g,planned_g,oracle_g,start_utc,end_utc,segments,pool',
      'a,150.000,60.000,60.000,2024-03-04T01:00:00.000Z,2024-03-04T03:00:00.000Z,1,Z',
      'b,150.000,30.000,30.000,2024-03-04T02:00:00.000Z,2024-03-04T05:00:00.000Z,2,Z',
      'c,10.000,10.000,10.000,2024-03-04T02:00:00.000Z,2024-03-04T03:00:00.000Z,1,Z',
      ''
    ])
  })

  it('plans on --forecast, scales with --kw and prints a readable summary without --json', () => {
    const forecast = run(...BASE, '--forecast', `Z=${fixturePath('forecast.csv')}`, '--kw', '2', '--signal', 'marginal', '--json')
    expect(JSON.parse(forecast.out)).toMatchObject({ baselineG: 620, plannedG: 460, oracleG: 200, signal: 'marginal', plannerSaw: 'forecast:forecast.csv' })
    const human = run(...BASE, '--baseline-flex-minutes', '60')
    expect(human.out).toContain('baseline         130.0 g CO2e')
    expect(human.out).toContain('deadline misses  0')
    expect(human.out).toContain("captured         100.0 % of the oracle's saving")
  })

  it('shifts between --pools and reports the pool per job', () => {
    const args = ['--intensity', `X=${fixturePath('intensity-flat.csv')}`, '--intensity', `Y=${fixturePath('intensity.csv')}`,
      '--jobs', fixturePath('jobs.csv'), '--pools', fixturePath('pools.json'), '--out', 'o.csv', '--json']
    const { code, out, written } = run(...args)
    expect(code).toBe(0)
    const summary = JSON.parse(out)
    expect(summary.deadlineMisses).toBe(0)
    // Home is x-small (first pool, flat 300 g/kWh at 1 kW); y-large draws 0.6 kW on the varying series.
    const pools = written.get('o.csv')!.trim().split('\n').slice(1).map(l => l.split(',').at(-1))
    expect(pools).toEqual(['y-large', 'y-large', 'y-large'])
    expect(summary.baselineG).toBe(300 * (2 + 2 + 1))
  })

  it('draws a progress bar on stderr with --progress', () => {
    const { err } = run(...BASE, '--progress', '--json')
    expect(err).toMatch(/\[#{30}\] 100 % 3\/3 jobs\n$/)
  })

  it('exits 1 naming file, line and column for a bad file', () => {
    const bad = fixturePath('jobs-bad.csv')
    const { code, err } = run('--intensity', `Z=${fixturePath('intensity.csv')}`, '--jobs', bad)
    expect(code).toBe(1)
    expect(err).toBe(`greenshift simulate: ${bad} line 12, column deadline_utc: "x" is not an ISO 8601 instant like 2024-03-01T09:00:00Z (an offset or Z is required)\n`)
    const em = run('--intensity', `Z=${fixturePath('electricity-maps-bad.csv')}`, '--jobs', fixturePath('jobs.csv'))
    expect(em.err).toContain('electricity-maps-bad.csv line 4, column Carbon Intensity gCO₂eq/kWh (LCA): "n/a" is not a number')
  })

  it('exits 2 with the usage for bad arguments', () => {
    const cases: Array<[string[], string]> = [
      [['--jobs', 'j.csv'], '--intensity ZONE=FILE is required'],
      [['--intensity', 'Z=a.csv'], '--jobs FILE is required'],
      [['--intensity', 'nozone.csv', '--jobs', 'j.csv'], '--intensity takes ZONE=FILE, got "nozone.csv"'],
      [[...BASE, '--kw', '0'], '--kw must be a number of kilowatts > 0, got "0"'],
      [[...BASE, '--noise-pct', '5', '--seed', '1.5'], '--seed must be an integer, got "1.5"'],
      [[...BASE, '--seed', '3'], '--seed only applies with --noise-pct P > 0'],
      [[...BASE, '--em-column', 'both'], '--em-column must be one of lca, direct, got "both"'],
      [[...BASE, '--forecast', `Q=${fixturePath('forecast.csv')}`], '--forecast names zone Q, which has no --intensity'],
      [[...BASE, '--frobnicate'], "Unknown option '--frobnicate'"],
      [['--intensity', 'Z=/nonexistent/file.csv', '--jobs', 'j.csv'], 'cannot read /nonexistent/file.csv']
    ]
    for (const [args, message] of cases) {
      const { code, err } = run(...args)
      expect([code, err]).toEqual([2, expect.stringContaining(message)])
      expect(err).toContain('usage: greenshift simulate')
    }
  })

  it('is wired as `greenshift simulate`', async () => {
    let out = ''
    expect(await runCli(['simulate', ...BASE, '--json'], {}, s => { out += s })).toBe(0)
    expect(JSON.parse(out).jobs).toBe(3)
  })
})

import { describe, expect, it } from 'vitest'
import { forecastEval, parseHorizons, type ForecastEvalReport } from '../../src/cli/forecast-eval.js'
import { HOUR_MS } from '../../src/forecast/model.js'
import { constantModel, seasonalDayModel, synthetic, Y2022 } from './helpers.js'

const year = synthetic(Y2022, 365 * 24)
const csv = 'start_utc,g_per_kwh\n' + year.values.map((v, i) => `${new Date(Y2022 + i * HOUR_MS).toISOString().replace('.000', '')},${v.toFixed(2)}`).join('\n') + '\n'
const files: Record<string, string> = { 'de.csv': csv, 'short.csv': csv.split('\n').slice(0, 24 * 30 + 1).join('\n') + '\n', 'bad.csv': 'when,what\n1,2\n' }
const models = [constantModel('flat', 300, 150), seasonalDayModel('day', 20)]
const persistence = constantModel('persistence', 250, 10)

function run (args: string[]): { code: number, out: string, err: string } {
  let out = ''
  let err = ''
  const readFile = (p: string): string => {
    const text = files[p]
    if (text === undefined) throw new Error(`ENOENT: no such file, open '${p}'`)
    return text
  }
  const code = forecastEval(args, { out: s => { out += s }, err: s => { err += s }, readFile }, models, persistence)
  return { code, out, err }
}

describe('greenshift forecast-eval', () => {
  it('--json: the chosen model and persistence per horizon, fractions, and how the model was chosen', () => {
    const { code, out, err } = run(['--intensity', 'DE=de.csv', '--horizons', '48,24', '--json'])
    expect(err).toBe('')
    expect(code).toBe(0)
    const r = JSON.parse(out) as ForecastEvalReport
    expect(r).toMatchObject({ zone: 'DE', model: 'day', persistence: 'persistence', everyHours: 24 })
    expect(r.horizons.map(h => h.hours)).toEqual([24, 48])
    const day = r.horizons[0]!
    expect(Object.keys(day.model).sort()).toEqual(['coverage', 'mae', 'mape'])
    // The shape: persistence has no band, so no coverage.
    expect(Object.keys(day.persistence).sort()).toEqual(['mae', 'mape'])
    expect(day.model.mape).toBeGreaterThan(0)
    expect(day.model.mape).toBeLessThan(day.persistence.mape)
    expect(day.model.mape).toBeLessThan(1)
    expect(day.model.coverage).toBeGreaterThanOrEqual(0)
    expect(day.model.coverage).toBeLessThanOrEqual(1)
    expect(r.validation.scores.map(s => s.model)).toEqual(['flat', 'day'])
    expect(r.test).toEqual({ from: '2022-10-01T00:00:00.000Z', to: '2022-12-28T00:00:00.000Z', origins: 89 })
  })

  it('prints a table by default, with the default horizons', () => {
    const { code, out } = run(['--intensity', 'DE=de.csv'])
    expect(code).toBe(0)
    expect(out).toMatch(/^DE: model day, chosen on day-ahead MAPE over 89 validation origins \(2022-07-01\.\.2022-09-27\): flat \d+\.\d %, day \d+\.\d %\n/)
    expect(out).toContain('test: 89 origins 2022-10-01..2022-12-28, daily at 00:00 UTC; beside it persistence (each hour as on the last day observed)')
    expect(out.trim().split('\n').slice(-3).map(l => l.trim().split(/\s+/)[0])).toEqual(['24', '48', '96'])
  })

  it('every 48 h halves the origins', () => {
    const r = JSON.parse(run(['--intensity', 'DE=de.csv', '--horizons', '24', '--every-hours', '48', '--json']).out) as ForecastEvalReport
    expect(r.test.origins).toBe(45)
    expect(r.everyHours).toBe(48)
  })

  it.each([
    [[], '--intensity ZONE=FILE is required'],
    [['--intensity', 'de.csv'], '--intensity takes ZONE=FILE, got "de.csv"'],
    [['--intensity', 'DE=de.csv', '--intensity', 'FR=de.csv'], '--intensity takes one ZONE=FILE, got 2'],
    [['--intensity', 'DE=de.csv', '--horizons', '24,x'], '--horizons must be a comma list of whole hours >= 1, got "24,x"'],
    [['--intensity', 'DE=de.csv', '--horizons', '0'], '--horizons must be a comma list of whole hours >= 1, got "0"'],
    [['--intensity', 'DE=de.csv', '--every-hours', '1.5'], '--every-hours must be a number of whole hours >= 1, got "1.5"'],
    [['--intensity', 'DE=nope.csv'], 'cannot read nope.csv'],
    [['--intensity', 'DE=de.csv', '--frobnicate'], "Unknown option '--frobnicate'"]
  ])('bad arguments %j: one line, exit 2', (args, message) => {
    const { code, out, err } = run(args)
    expect(code).toBe(2)
    expect(out).toBe('')
    expect(err).toContain(`greenshift forecast-eval: ${message}`)
    expect(err.trimEnd().split('\n')).toHaveLength(1)
  })

  it('a bad or too short file: one line naming it, exit 1', () => {
    const bad = run(['--intensity', 'DE=bad.csv'])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/^greenshift forecast-eval: bad\.csv.*unknown intensity header/)
    const short = run(['--intensity', 'DE=short.csv'])
    expect(short.code).toBe(1)
    expect(short.err).toBe('greenshift forecast-eval: short.csv: the series (30.0 days) is too short for validation and test origins: it needs 28 days of history before the second half and 96 h after the last origin\n')
  })

  it('--help prints the usage', () => {
    expect(run(['--help'])).toMatchObject({ code: 0, out: expect.stringMatching(/^usage: greenshift forecast-eval --intensity ZONE=FILE/) })
  })

  it('parseHorizons sorts and removes repeats', () => {
    expect(parseHorizons('96, 24,24')).toEqual([24, 96])
    expect(parseHorizons(undefined)).toEqual([24, 48, 96])
  })
})

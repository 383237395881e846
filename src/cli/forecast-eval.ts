import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { backtest, BacktestError, type Backtest } from '../forecast/backtest.js'
import { hourlyFromPoints } from '../forecast/from-points.js'
import type { ForecastModel } from '../forecast/model.js'
import { IntensityCsvError } from '../providers/csv.js'
import { SimInputError } from '../sim/input-error.js'
import { parseIntensityFile } from '../sim/intensity-formats.js'

/** Usage of `greenshift forecast-eval`, also shown on a bad argument. */
export const FORECAST_EVAL_USAGE = `usage: greenshift forecast-eval --intensity ZONE=FILE [--horizons 24,48,96] [--every-hours 24] [--json]

Backtests greenshift's forecast models on one zone's history with no look-ahead: the model with the
lowest day-ahead MAPE on the validation origins (the third quarter of the file) is scored on the test
origins (the last quarter) beside seasonal-naive persistence. MAPE and coverage are fractions in --json.
`

/** Where `forecastEval` reads and writes. */
export interface ForecastEvalIo {
  out: (s: string) => void
  err: (s: string) => void
  readFile: (path: string) => string
}

/** `forecast-eval --json`: the chosen model and persistence per horizon, plus how they were chosen. */
export interface ForecastEvalReport {
  zone: string
  model: string
  persistence: string
  horizons: Array<{ hours: number, model: { mape: number, mae: number, coverage: number }, persistence: { mape: number, mae: number } }>
  validation: Backtest['validation']
  test: Backtest['test']
  everyHours: number
}

class UsageError extends Error {}

const OPTIONS = {
  intensity: { type: 'string', multiple: true },
  horizons: { type: 'string' },
  'every-hours': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

/**
 * `greenshift forecast-eval`: returns the exit code, 0; 1 for a bad or too short intensity file;
 * 2 for bad arguments. The models come in as arguments so tests can pass their own.
 */
export function forecastEval (args: string[], io: Partial<ForecastEvalIo>, models: readonly ForecastModel[], persistence: ForecastModel): number {
  const { out = s => process.stdout.write(s), err = s => process.stderr.write(s), readFile = (p: string) => readFileSync(p, 'utf8') } = io
  try {
    const values = parse(args)
    if (values.help === true) {
      out(FORECAST_EVAL_USAGE)
      return 0
    }
    const [zone, file] = zoneFile(values.intensity)
    const horizons = parseHorizons(values.horizons)
    const everyHours = wholeHours(values['every-hours'] ?? '24', '--every-hours')
    const text = read(readFile, file)
    const report = forecastEvalReport(zone, text, file, models, persistence, { horizons, everyHours })
    out(values.json === true ? JSON.stringify(report, null, 2) + '\n' : formatReport(report))
    return 0
  } catch (e) {
    if (e instanceof UsageError) {
      err(`greenshift forecast-eval: ${e.message}\n`)
      return 2
    }
    if (e instanceof SimInputError || e instanceof IntensityCsvError || e instanceof BacktestError) {
      err(`greenshift forecast-eval: ${e.message}\n`)
      return 1
    }
    throw e
  }
}

/** One zone's report from an intensity file's text; shared with `npm run bench:forecast`. */
export function forecastEvalReport (zone: string, text: string, name: string, models: readonly ForecastModel[], persistence: ForecastModel, opts: { horizons: number[], everyHours: number }): ForecastEvalReport {
  const series = hourlyFromPoints(parseIntensityFile(text, { name }).points)
  let r: Backtest
  try {
    r = backtest(series, models, persistence, opts)
  } catch (e) {
    if (e instanceof BacktestError) throw new BacktestError(`${name}: ${e.message}`)
    throw e
  }
  return {
    zone,
    model: r.model,
    persistence: r.persistence,
    horizons: r.horizons.map(h => ({
      hours: h.hours,
      model: { mape: round(h.model.mape, 4), mae: round(h.model.mae, 2), coverage: round(h.model.coverage, 4) },
      // Persistence has no band: a coverage would only count the hours it hit exactly.
      persistence: { mape: round(h.persistence.mape, 4), mae: round(h.persistence.mae, 2) }
    })),
    validation: { ...r.validation, scores: r.validation.scores.map(s => ({ model: s.model, mape: round(s.mape, 4) })) },
    test: r.test,
    everyHours: opts.everyHours
  }
}

function parse (args: string[]): ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'] {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)} (greenshift forecast-eval --help)`)
  }
}

function zoneFile (list: string[] | undefined): [string, string] {
  if (list === undefined || list.length === 0) throw new UsageError('--intensity ZONE=FILE is required')
  if (list.length > 1) throw new UsageError(`--intensity takes one ZONE=FILE, got ${list.length} (run once per zone, or npm run bench:forecast DIR)`)
  const pair = list[0]!
  const at = pair.indexOf('=')
  if (at <= 0 || at === pair.length - 1) throw new UsageError(`--intensity takes ZONE=FILE, got "${pair}"`)
  return [pair.slice(0, at), pair.slice(at + 1)]
}

/** `24,48,96` → [24, 48, 96]: whole hours >= 1, sorted, each once. */
export function parseHorizons (text: string | undefined): number[] {
  if (text === undefined) return [24, 48, 96]
  const hours = text.split(',').map(s => wholeHours(s.trim(), '--horizons', text))
  return [...new Set(hours)].sort((a, b) => a - b)
}

function wholeHours (text: string, flag: string, whole = text): number {
  const x = Number(text)
  if (text === '' || !Number.isInteger(x) || x < 1) throw new UsageError(`${flag} must be ${flag === '--horizons' ? 'a comma list of ' : 'a number of '}whole hours >= 1, got "${whole}"`)
  return x
}

function read (readFile: (p: string) => string, path: string): string {
  try {
    return readFile(path)
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

function round (x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

const pct = (x: number): string => Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–'
const num = (x: number): string => Number.isFinite(x) ? x.toFixed(1) : '–'

/** The human form: how the model was chosen, then one row per horizon. */
export function formatReport (r: ForecastEvalReport): string {
  const every = r.everyHours === 24 ? 'daily at 00:00 UTC' : `every ${r.everyHours} h`
  const lines = [
    `${r.zone}: model ${r.model}, chosen on day-ahead MAPE over ${r.validation.origins} validation origins (${r.validation.from.slice(0, 10)}..${r.validation.to.slice(0, 10)}): ` +
      r.validation.scores.map(s => `${s.model} ${pct(s.mape)}`).join(', '),
    `test: ${r.test.origins} origins ${r.test.from.slice(0, 10)}..${r.test.to.slice(0, 10)}, ${every}; beside it ${r.persistence === 'persistence' ? 'persistence (each hour as on the last day observed)' : r.persistence}`,
    '',
    'horizon   model MAPE    MAE g/kWh  p10–p90 coverage   persistence MAPE    MAE g/kWh',
    ...r.horizons.map(h => `${`${h.hours} h`.padStart(7)}  ${pct(h.model.mape).padStart(11)}  ${num(h.model.mae).padStart(11)}  ${pct(h.model.coverage).padStart(16)}  ` +
      `${pct(h.persistence.mape).padStart(17)}  ${num(h.persistence.mae).padStart(11)}`)
  ]
  return lines.join('\n') + '\n'
}

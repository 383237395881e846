import { readFileSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import type { Risk, Signal } from '../core/types.js'
import { IntensityCsvError } from '../providers/csv.js'
import { simulate } from '../sim/engine.js'
import { GREENSHIFT_MODEL, persistence } from '../forecast/index.js'
import { parseForecastCsv } from '../sim/forecast.js'
import { SimInputError } from '../sim/input-error.js'
import { parseIntensityFile, type EmColumn, type IntensityFormat } from '../sim/intensity-formats.js'
import { parseJobsCsv } from '../sim/jobs-csv.js'
import { parsePoolsJson } from '../sim/pools-json.js'
import { formatSummary, progressBar } from '../sim/report.js'
import { perJobCsv } from '../sim/summary.js'
import type { SimInput, SimOptions, SimZone } from '../sim/types.js'

/** Usage of `greenshift simulate`, also shown on a bad argument. */
export const SIMULATE_USAGE = `usage: greenshift simulate --intensity ZONE=FILE [--intensity ZONE=FILE ...] --jobs JOBS.csv
                          [--forecast ZONE=FILE ...] [--interruptible] [--pools POOLS.json] [--kw 1]
                          [--baseline-flex-minutes 0] [--noise-pct P --seed S] [--em-column lca|direct]
                          [--signal average|marginal] [--history-hours 0] [--forecast-model greenshift|persistence]
                          [--risk neutral|averse] [--out PER_JOB.csv] [--json] [--progress]
`

/** Where `simulateCommand` reads and writes; every field defaults to the process's own. */
export interface SimulateIo {
  out: (s: string) => void
  err: (s: string) => void
  /** Draw the progress bar without --progress (stderr is a terminal). */
  errIsTTY: boolean
  readFile: (path: string) => string
  writeFile: (path: string, text: string) => void
}

class UsageError extends Error {}

const OPTIONS = {
  intensity: { type: 'string', multiple: true },
  forecast: { type: 'string', multiple: true },
  jobs: { type: 'string' },
  interruptible: { type: 'boolean' },
  pools: { type: 'string' },
  kw: { type: 'string' },
  'baseline-flex-minutes': { type: 'string' },
  'noise-pct': { type: 'string' },
  seed: { type: 'string' },
  'em-column': { type: 'string' },
  signal: { type: 'string' },
  'history-hours': { type: 'string' },
  'forecast-model': { type: 'string' },
  risk: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values']

/**
 * `greenshift simulate`: replays a jobs file against intensity files with the production planner
 * and prints the summary (JSON with --json). Returns the exit code: 0, 1 for a bad input file
 * (the message names file, line and column), 2 for bad arguments.
 */
export function simulateCommand (args: string[], io: Partial<SimulateIo> = {}): number {
  const { out = s => process.stdout.write(s), err = s => process.stderr.write(s) } = io
  const files = { readFile: io.readFile ?? ((p: string) => readFileSync(p, 'utf8')), writeFile: io.writeFile ?? ((p: string, t: string) => writeFileSync(p, t)) }
  try {
    const values = parseOptions(args)
    if (values.help === true) {
      out(SIMULATE_USAGE)
      return 0
    }
    const { input, options } = load(values, files.readFile)
    if (values.progress === true || (io.errIsTTY ?? process.stderr.isTTY === true)) options.onProgress = progressBar(err)
    const result = simulate(input, options)
    if (values.out !== undefined) files.writeFile(values.out, perJobCsv(result.jobs))
    // greenshift's model is judged against persistence planned on the same jobs and data, in the same run.
    const beside = values['forecast-model'] === 'greenshift' ? simulate(input, { ...options, forecastModel: persistence, onProgress: undefined }).summary : undefined
    const risk = options.risk === undefined ? {} : { risk: options.risk }
    const summary = beside === undefined ? { ...result.summary, ...risk } : { ...result.summary, ...risk, persistence: { plannerSaw: beside.plannerSaw, plannedG: beside.plannedG, savingPct: beside.savingPct, capturedPct: beside.capturedPct, deadlineMisses: beside.deadlineMisses } }
    const text = formatSummary(result.summary) +
      (options.risk === undefined ? '' : `risk             ${options.risk}: ${options.risk === 'averse' ? 'each window chosen by its p90 emissions' : 'each window chosen by its median'} on the model's forecast\n`) +
      (beside === undefined ? '' : `persistence      ${beside.capturedPct === null ? 'n/a' : `${beside.capturedPct.toFixed(1)} % of the oracle's saving`} (${beside.plannerSaw}, same jobs)\n`)
    out(values.json === true ? JSON.stringify(summary, null, 2) + '\n' : text)
    return 0
  } catch (e) {
    if (e instanceof UsageError) {
      err(`greenshift simulate: ${e.message}\n${SIMULATE_USAGE}`)
      return 2
    }
    if (e instanceof SimInputError || e instanceof IntensityCsvError) {
      err(`greenshift simulate: ${e.message}\n`)
      return 1
    }
    throw e
  }
}

function parseOptions (args: string[]): Values {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e))
  }
}

function number (values: Values, name: 'kw' | 'baseline-flex-minutes' | 'noise-pct' | 'seed' | 'history-hours', fallback: number, ok: (x: number) => boolean, rule: string): number {
  const text = values[name]
  if (text === undefined) return fallback
  const x = Number(text)
  if (text.trim() === '' || !Number.isFinite(x) || !ok(x)) throw new UsageError(`--${name} must be ${rule}, got "${text}"`)
  return x
}

function pairs (list: string[] | undefined, flag: string): Array<[string, string]> {
  return (list ?? []).map(pair => {
    const at = pair.indexOf('=')
    if (at <= 0 || at === pair.length - 1) throw new UsageError(`--${flag} takes ZONE=FILE, got "${pair}"`)
    return [pair.slice(0, at), pair.slice(at + 1)]
  })
}

function choice<T extends string> (text: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (text === undefined || (allowed as readonly string[]).includes(text)) return text as T | undefined
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${text}"`)
}

function load (values: Values, readFile: (p: string) => string): { input: SimInput, options: SimOptions } {
  const intensity = pairs(values.intensity, 'intensity')
  if (intensity.length === 0) throw new UsageError('--intensity ZONE=FILE is required')
  if (values.jobs === undefined) throw new UsageError('--jobs FILE is required')
  const emColumn = choice<EmColumn>(values['em-column'], ['lca', 'direct'], 'em-column') ?? 'lca'
  const signal = choice<Signal>(values.signal, ['average', 'marginal'], 'signal') ?? 'average'
  const options: SimOptions = {
    kw: number(values, 'kw', 1, x => x > 0, 'a number of kilowatts > 0'),
    interruptible: values.interruptible === true,
    baselineFlexMinutes: number(values, 'baseline-flex-minutes', 0, x => x >= 0, 'a number of minutes >= 0'),
    historyHours: number(values, 'history-hours', 0, x => x >= 0, 'a number of hours >= 0')
  }
  const noisePct = number(values, 'noise-pct', 0, x => x >= 0, 'a percentage >= 0')
  const seed = number(values, 'seed', 1, Number.isInteger, 'an integer')
  if (noisePct > 0) options.noise = { pct: noisePct, seed }
  else if (values.seed !== undefined) throw new UsageError('--seed only applies with --noise-pct P > 0')
  const model = choice<'greenshift' | 'persistence'>(values['forecast-model'], ['greenshift', 'persistence'], 'forecast-model')
  if (model !== undefined && noisePct > 0) throw new UsageError('--forecast-model and --noise-pct each choose what the planner sees; give one')
  if (model !== undefined) options.forecastModel = model === 'greenshift' ? GREENSHIFT_MODEL : persistence
  const risk = choice<Risk>(values.risk, ['neutral', 'averse'], 'risk')
  if (risk !== undefined && model !== 'greenshift') throw new UsageError('--risk weighs the band of greenshift\'s forecast: give it with --forecast-model greenshift')
  if (risk !== undefined) options.risk = risk
  const zones = new Map<string, SimZone>()
  for (const [zone, file] of intensity) {
    if (zones.has(zone)) throw new UsageError(`--intensity names zone ${zone} twice`)
    const parsed = parseIntensityFile(read(readFile, file), { name: file, emColumn })
    zones.set(zone, { zone, actual: parsed.points, source: sourceLabel(parsed.format, file, parsed.column) })
  }
  for (const [zone, file] of pairs(values.forecast, 'forecast')) {
    const z = zones.get(zone)
    if (z === undefined) throw new UsageError(`--forecast names zone ${zone}, which has no --intensity`)
    z.forecast = parseForecastCsv(read(readFile, file), { name: file })
    z.forecastSource = basename(file)
  }
  const input: SimInput = { zones: [...zones.values()], jobs: parseJobsCsv(read(readFile, values.jobs), { name: values.jobs }), signal, jobsName: values.jobs }
  if (values.pools !== undefined) {
    input.pools = parsePoolsJson(read(readFile, values.pools), { name: values.pools })
    input.poolsName = values.pools
  }
  return { input, options }
}

function read (readFile: (p: string) => string, path: string): string {
  try {
    return readFile(path)
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

function sourceLabel (format: IntensityFormat, file: string, column: string): string {
  const name = basename(file)
  if (format === 'lets-wait-awhile') return `lets-wait-awhile:${name}`
  if (format === 'electricity-maps') return `electricitymaps:${name} (${/\((\w+)\)$/.exec(column)?.[1] ?? column})`
  return `csv:${name}`
}

import { GREENSHIFT_MODEL, persistence } from '../src/forecast/index.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HOUR_MS, MINUTE_MS, type Instant } from '../src/core/types.js'
import { simulate } from '../src/sim/engine.js'
import { parseForecastCsv, type ForecastArchive } from '../src/sim/forecast.js'
import { parseIntensityFile } from '../src/sim/intensity-formats.js'
import type { SimJob } from '../src/sim/jobs-csv.js'
import type { SimOptions, SimSummary, SimZone } from '../src/sim/types.js'

/**
 * Forecast error, measured: 1-hour jobs on WattTime's marginal signal (MOER) for CAISO North,
 * June–July 2023 (vessim's watttime2023_caiso-north), planned from the forecast as it was issued
 * at each arrival (horizon ~1 h, so the planner's labelled fallback prices the rest of the
 * window), against the oracle given the actual series; and, for comparison, from the actual series
 * with seeded Gaussian noise of 5 % and 10 % of its mean. `npm run bench:capture`.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ACTUAL = 'watttime2023_caiso-north_actual.csv'
const FORECAST = 'watttime2023_caiso-north_forecast.csv'
const SOURCE = 'WattTime MOER CAISO North (vessim watttime2023_caiso-north)'

/** One line of the report: one slack, one view the planner had. Percentages in percent. */
export interface CaptureRow extends Pick<SimSummary, 'jobs' | 'baselineG' | 'plannedG' | 'oracleG' | 'savingPct' | 'oracleSavingPct' | 'capturedPct' | 'deadlineMisses' | 'fallbackJobs' | 'signal' | 'source'> {
  slackHours: number
  planner: string
}

/** What `captureReport` runs; defaults reproduce the README figures. */
export interface CaptureOptions {
  /** Repository root holding data/vessim (default: this checkout). */
  root?: string
  /** First and last arrival (default: the first forecast issue, and as late as the 24 h slack allows). */
  from?: Instant
  until?: Instant
  everyMinutes?: number
  slackHours?: readonly number[]
  noisePcts?: readonly number[]
  seed?: number
  /** Where lines are printed (default console.log). */
  print?: (line: string) => void
}

/** The actual series and the forecast history of CAISO North, from data/vessim. */
export function loadCaisoNorth (root = ROOT): { zone: SimZone, forecast: ForecastArchive } {
  const read = (file: string) => readFileSync(join(root, 'data/vessim', file), 'utf8')
  const actual = parseIntensityFile(read(ACTUAL), { name: ACTUAL }).points
  const forecast = parseForecastCsv(read(FORECAST), { name: FORECAST })
  return { zone: { zone: 'CAISO_NORTH', actual, source: SOURCE }, forecast }
}

function jobs (from: Instant, until: Instant, everyMs: number, slackMs: number): SimJob[] {
  const out: SimJob[] = []
  for (let t = from, i = 0; t <= until; t += everyMs, i++) {
    out.push({ id: `j${i}`, line: 0, arrival: t, durationMs: HOUR_MS, deadline: t + HOUR_MS + slackMs, gpus: 1 })
  }
  return out
}

/** Runs every slack × planner view, prints a table and returns its rows. */
export function captureReport (options: CaptureOptions = {}): CaptureRow[] {
  const print = options.print ?? console.log
  const { zone, forecast } = loadCaisoNorth(options.root)
  const slacks = options.slackHours ?? [2, 6, 24]
  const maxSlack = Math.max(...slacks) * HOUR_MS
  const from = options.from ?? forecast.issues[0]!.issuedAt
  const until = options.until ?? zone.actual.at(-1)!.end - HOUR_MS - maxSlack
  const everyMs = (options.everyMinutes ?? 60) * MINUTE_MS
  const withForecast: SimZone = { ...zone, forecast, forecastSource: `WattTime forecast (${FORECAST})` }
  const views: Array<{ label: string, zone: SimZone, options: SimOptions }> = [
    { label: 'WattTime forecast', zone: withForecast, options: {} },
    // What a live scheduler also has: the last day of measured actuals, so the fallback beyond the
    // ~1 h horizon repeats yesterday's profile instead of the forecast's own hour.
    { label: 'forecast + 24 h actuals', zone: withForecast, options: { historyHours: 24 } },
    // greenshift's own forecaster on the actuals before each arrival, and persistence (yesterday's same hour) beside it.
    { label: 'greenshift model', zone, options: { forecastModel: GREENSHIFT_MODEL } },
    { label: 'persistence model', zone, options: { forecastModel: persistence } },
    ...(options.noisePcts ?? [5, 10]).map(pct => ({ label: `actual + ${pct} % noise`, zone, options: { noise: { pct, seed: options.seed ?? 1 } } }))
  ]
  const rows: CaptureRow[] = []
  print(`forecast error: 1-hour jobs every ${everyMs / MINUTE_MS} min, ${new Date(from).toISOString()} to ${new Date(until).toISOString()}, marginal signal, source ${SOURCE}`)
  print('slack  planner saw               jobs  planned saving  oracle saving  captured  misses  fallback')
  for (const slackHours of slacks) {
    const list = jobs(from, until, everyMs, slackHours * HOUR_MS)
    for (const view of views) {
      const s = simulate({ zones: [view.zone], jobs: list, signal: 'marginal' }, view.options).summary
      const row = rowOf(slackHours, view.label, s)
      rows.push(row)
      print(line(row))
    }
  }
  return rows
}

function rowOf (slackHours: number, planner: string, s: SimSummary): CaptureRow {
  return {
    slackHours, planner, jobs: s.jobs, baselineG: s.baselineG, plannedG: s.plannedG, oracleG: s.oracleG,
    savingPct: s.savingPct, oracleSavingPct: s.oracleSavingPct, capturedPct: s.capturedPct,
    deadlineMisses: s.deadlineMisses, fallbackJobs: s.fallbackJobs, signal: s.signal, source: s.source
  }
}

function line (r: CaptureRow): string {
  const captured = r.capturedPct === null ? 'n/a' : `${r.capturedPct.toFixed(1)} %`
  return `${String(r.slackHours).padStart(3)} h  ${r.planner.padEnd(24)} ${String(r.jobs).padStart(5)}  ${r.savingPct.toFixed(2).padStart(12)} %  ` +
    `${r.oracleSavingPct.toFixed(2).padStart(11)} %  ${captured.padStart(8)}  ${String(r.deadlineMisses).padStart(6)}  ${String(r.fallbackJobs).padStart(8)}`
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) captureReport()

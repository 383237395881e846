import { readdirSync, readFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { forecastEvalReport, parseHorizons, type ForecastEvalReport } from '../src/cli/forecast-eval.js'
import { quantile as sortedQuantile } from '../src/forecast/bands.js'
import type { ForecastModel } from '../src/forecast/model.js'
import { parseIntensityFile } from '../src/sim/intensity-formats.js'
import { CAPTURE, captureFor } from './forecast-capture.js'

/**
 * `npm run bench:forecast [DIR] [--horizons 24,48,96] [--every-hours 24] [--json]` — the
 * forecast-eval backtest over every `*.csv` in DIR (default data/zones-2022, the 14 shipped zones;
 * ../shared/data/zones-2022 holds all 123): one line per zone, then per horizon the median and the
 * worst decile (90th percentile over zones) of MAPE for the chosen model and for persistence, and
 * the median p10–p90 coverage. Then, on the same test quarter, the share of the oracle's saving
 * the chosen model captures for 1-hour jobs with 24 h of slack, beside persistence's (see
 * `captureFor`): the median and the worst decile (10th percentile) over zones. Progress goes to stderr.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface BenchOptions {
  horizons: number[]
  everyHours: number
  progress?: (line: string) => void
}

export interface HorizonSummary {
  hours: number
  model: { medianMape: number, p90Mape: number, medianCoverage: number }
  persistence: { medianMape: number, p90Mape: number }
}

/** A zone's backtest and its capture of the oracle's saving (percent), the chosen model's and persistence's. */
export type ZoneBench = ForecastEvalReport & { capture: { model: number | null, persistence: number | null, planning?: number | null, jobs: number } }

export interface BenchResult {
  dir: string
  everyHours: number
  zones: ZoneBench[]
  failed: Array<{ zone: string, error: string }>
  summary: { horizons: HorizonSummary[], chosen: Record<string, number>, capture: { model: { median: number, p10: number }, planning?: { median: number, p10: number }, persistence: { median: number, p10: number } } }
  seconds: number
}

export function benchForecast (dir: string, models: readonly ForecastModel[], persistence: ForecastModel, opts: BenchOptions, planning?: ForecastModel): BenchResult {
  const t0 = performance.now()
  const files = readdirSync(dir).filter(f => f.endsWith('.csv')).sort()
  if (files.length === 0) throw new Error(`no *.csv files in ${dir}`)
  const zones: ZoneBench[] = []
  const failed: BenchResult['failed'] = []
  files.forEach((file, i) => {
    const zone = basename(file, '.csv')
    opts.progress?.(`zone ${i + 1} of ${files.length}: ${zone}`)
    try {
      const text = readFileSync(join(dir, file), 'utf8')
      const report = forecastEvalReport(zone, text, file, models, persistence, opts)
      const chosenModel = models.find(m => m.name === report.model)!
      const points = parseIntensityFile(text, { name: file }).points
      zones.push({ ...report, capture: captureFor(zone, points, Date.parse(report.test.from), Date.parse(report.test.to), chosenModel, persistence, planning) })
    } catch (e) {
      failed.push({ zone, error: e instanceof Error ? e.message : String(e) })
    }
  })
  const chosen: Record<string, number> = {}
  for (const z of zones) chosen[z.model] = (chosen[z.model] ?? 0) + 1
  const shares = (pick: (z: ZoneBench) => number | null) => zones.map(pick).filter((x): x is number => x !== null && Number.isFinite(x))
  const spread = (xs: number[]) => ({ median: quantile(xs, 0.5), p10: quantile(xs, 0.1) })
  const capture = {
    model: spread(shares(z => z.capture.model)),
    ...(planning === undefined ? {} : { planning: spread(shares(z => z.capture.planning ?? null)) }),
    persistence: spread(shares(z => z.capture.persistence))
  }
  return { dir, everyHours: opts.everyHours, zones, failed, summary: { horizons: summarize(zones, opts.horizons), chosen, capture }, seconds: (performance.now() - t0) / 1000 }
}

function summarize (zones: ForecastEvalReport[], horizons: number[]): HorizonSummary[] {
  return horizons.map((hours, k) => {
    const of = (pick: (z: ForecastEvalReport) => number): number[] => zones.map(pick).filter(Number.isFinite)
    const model = of(z => z.horizons[k]!.model.mape)
    const persistence = of(z => z.horizons[k]!.persistence.mape)
    return {
      hours,
      model: { medianMape: quantile(model, 0.5), p90Mape: quantile(model, 0.9), medianCoverage: quantile(of(z => z.horizons[k]!.model.coverage), 0.5) },
      persistence: { medianMape: quantile(persistence, 0.5), p90Mape: quantile(persistence, 0.9) }
    }
  })
}

/** The q-quantile of unsorted `values`, interpolated between ranks as the bands are (R's type 7); NaN for no values. */
function quantile (values: number[], q: number): number {
  return sortedQuantile([...values].sort((a, b) => a - b), q)
}

const W = 7
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–').padStart(W)

/** The printed report: one line per zone, then the summary. */
export function formatBench (r: BenchResult, horizons: number[]): string[] {
  const hs = horizons.map(h => `${h}h`.padStart(W)).join('')
  const group = (title: string): string => title.padStart(W * horizons.length)
  const spacing = r.everyHours === 24 ? 'daily at 00:00 UTC' : `every ${r.everyHours} h (fewer origins than the daily default, for speed)`
  const lines = [
    `forecast backtest over ${r.zones.length} zones in ${r.dir}: test origins in the last quarter of each file, ${spacing}; model chosen per zone on validation MAPE at 24 h`,
    '',
    `${''.padEnd(36)}${group('model MAPE')}   ${group('persistence MAPE')}   ${group('model coverage')}`,
    `${'zone'.padEnd(16)}  ${'model'.padEnd(18)}${hs}   ${hs}   ${hs}   captured: model  persistence`
  ]
  for (const z of r.zones) {
    const cells = (f: (h: ForecastEvalReport['horizons'][number]) => number): string => z.horizons.map(h => pct(f(h))).join('')
    const share = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)}%`).padStart(8)
    lines.push(`${z.zone.padEnd(16)}  ${z.model.padEnd(18)}${cells(h => h.model.mape)}   ${cells(h => h.persistence.mape)}   ${cells(h => h.model.coverage)}   ${share(z.capture.model)}  ${share(z.capture.persistence)}`)
  }
  for (const f of r.failed) lines.push(`${f.zone.padEnd(16)}  failed: ${f.error}`)
  const row = (label: string, f: (s: HorizonSummary) => number): string => `${label.padEnd(36)}${r.summary.horizons.map(s => pct(f(s))).join('')}`
  lines.push('',
    `${'over the zones'.padEnd(36)}${hs}`,
    row('median MAPE, model', s => s.model.medianMape),
    row('median MAPE, persistence', s => s.persistence.medianMape),
    row('worst decile (p90) MAPE, model', s => s.model.p90Mape),
    row('worst decile (p90) MAPE, persistence', s => s.persistence.p90Mape),
    row('median p10–p90 coverage, model', s => s.model.medianCoverage),
    '',
    `share of the oracle's saving captured, ${CAPTURE.durationHours}-hour jobs with ${CAPTURE.slackHours} h of slack every ${CAPTURE.everyHours} h of the test quarter:`,
    `  model        median ${r.summary.capture.model.median.toFixed(1)} %, worst decile (p10 over zones) ${r.summary.capture.model.p10.toFixed(1)} %`,
    ...(r.summary.capture.planning === undefined ? [] : [`  planning     median ${r.summary.capture.planning.median.toFixed(1)} %, worst decile (p10 over zones) ${r.summary.capture.planning.p10.toFixed(1)} % (greenshift's planning model in every zone, as the scheduler uses it)`]),
    `  persistence  median ${r.summary.capture.persistence.median.toFixed(1)} %, worst decile (p10 over zones) ${r.summary.capture.persistence.p10.toFixed(1)} %`,
    '',
    `models chosen: ${Object.entries(r.summary.chosen).sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ')}` +
      `${r.failed.length > 0 ? `; ${r.failed.length} zone(s) failed` : ''}; ${r.seconds.toFixed(1)} s`)
  return lines
}

async function main (): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { horizons: { type: 'string' }, 'every-hours': { type: 'string', default: '24' }, json: { type: 'boolean' } },
    allowPositionals: true
  })
  const horizons = parseHorizons(values.horizons)
  const everyHours = Number(values['every-hours'])
  if (!Number.isInteger(everyHours) || everyHours < 1) throw new Error(`--every-hours must be a number of whole hours >= 1, got "${values['every-hours']}"`)
  const dir = resolve(positionals[0] ?? join(ROOT, 'data/zones-2022'))
  const { MODELS, persistence, GREENSHIFT_MODEL } = await import('../src/forecast/index.js')
  const r = benchForecast(dir, MODELS, persistence, { horizons, everyHours, progress: line => process.stderr.write(line + '\n') }, GREENSHIFT_MODEL)
  if (values.json === true) console.log(JSON.stringify(r, null, 2))
  else for (const line of formatBench(r, horizons)) console.log(line)
  return r.failed.length === 0 ? 0 : 1
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(code => { process.exitCode = code }, (e: unknown) => {
    process.stderr.write(`bench:forecast: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = 2
  })
}

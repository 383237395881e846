import { readdirSync, readFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { quantile } from '../src/forecast/bands.js'
import { evaluate, originsFor, splitFor } from '../src/forecast/evaluate.js'
import { hourlyFromPoints } from '../src/forecast/from-points.js'
import { MODELS, persistence } from '../src/forecast/index.js'
import type { ForecastModel } from '../src/forecast/model.js'
import { parseIntensityFile } from '../src/sim/intensity-formats.js'
import { captureFor } from './forecast-capture.js'

/**
 * `npx tsx bench/forecast-validate.ts [DIR] [MODEL…]` — the figures models are tuned on, from the
 * validation quarter alone (`splitFor`'s validation origins; the test quarter is never read): per
 * model, used for every zone of DIR (default the 14 shipped zones), the median, mean and worst
 * decile over zones of the share of the oracle's saving captured (1-hour jobs, 24 h of slack, see
 * `captureFor`, over the validation range), and the median MAPE at 24, 48 and 96 h.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const sorted = (xs: number[]) => xs.filter(Number.isFinite).sort((a, b) => a - b)
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

function main (): void {
  const args = process.argv.slice(2)
  const dir = resolve(args[0] ?? join(ROOT, 'data/zones-2022'))
  const names = args.slice(1)
  const models: ForecastModel[] = names.length > 0 ? MODELS.filter(m => names.includes(m.name)) : MODELS
  const zones = readdirSync(dir).filter(f => f.endsWith('.csv')).sort().map(f => {
    const points = parseIntensityFile(readFileSync(join(dir, f), 'utf8'), { name: f }).points
    const series = hourlyFromPoints(points)
    const split = splitFor(series, 96, 24)
    return { zone: basename(f, '.csv'), points, series, split, origins: originsFor(series, split.validation, 96) }
  })
  console.log(`validation quarter only, ${zones.length} zones of ${dir}; captured: median / mean / worst decile; MAPE: median at 24 / 48 / 96 h`)
  for (const m of [...models, persistence]) {
    const captured: number[] = []
    const mape: number[][] = [[], [], []]
    for (const z of zones) {
      const e = evaluate(z.series, m, { origins: z.origins, horizons: [24, 48, 96] })
      e.horizons.forEach((h, k) => mape[k]!.push(100 * h.mape))
      captured.push(captureFor(z.zone, z.points, z.split.validation.from, z.split.validation.to, m, persistence).model ?? NaN)
    }
    const c = sorted(captured)
    const f = (x: number) => x.toFixed(2).padStart(6)
    console.log(`${m.name.padEnd(20)} captured ${f(quantile(c, 0.5))} ${f(mean(c))} ${f(quantile(c, 0.1))}   MAPE ${mape.map(xs => f(quantile(sorted(xs), 0.5))).join(' ')}`)
  }
}

main()

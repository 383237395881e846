import type { IntensityPoint } from '../core/types.js'
import { HOUR_MS, type Forecast, type Hourly } from './model.js'

/**
 * Points of any step as hourly values: each UTC hour the time-weighted mean of the points over
 * it, NaN for an hour no point covers. From the first hour any point touches to the last.
 */
export function toHourly (points: readonly IntensityPoint[]): Hourly {
  if (points.length === 0) return { start: 0, values: [] }
  const start = Math.floor(points[0]!.start / HOUR_MS) * HOUR_MS
  const end = Math.ceil(Math.max(...points.map(p => p.end)) / HOUR_MS) * HOUR_MS
  const n = (end - start) / HOUR_MS
  const sum = new Array<number>(n).fill(0)
  const covered = new Array<number>(n).fill(0)
  for (const p of points) {
    for (let t = Math.floor(p.start / HOUR_MS) * HOUR_MS; t < p.end; t += HOUR_MS) {
      const overlap = Math.min(p.end, t + HOUR_MS) - Math.max(p.start, t)
      if (overlap <= 0) continue
      const i = (t - start) / HOUR_MS
      sum[i] = (sum[i] as number) + p.gPerKwh * overlap
      covered[i] = (covered[i] as number) + overlap
    }
  }
  return { start, values: sum.map((s, i) => (covered[i] as number) > 0 ? s / (covered[i] as number) : NaN) }
}

/** A forecast's median from `origin` as intensity points, one per hour (NaN steps left out). */
export function medianPoints (forecast: Forecast, origin: number): IntensityPoint[] {
  return forecast.p50.flatMap((g, h) => Number.isFinite(g) ? [{ start: origin + h * HOUR_MS, end: origin + (h + 1) * HOUR_MS, gPerKwh: g }] : [])
}

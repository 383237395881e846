import type { IntensityPoint } from '../core/types.js'
import { HOUR_MS, type Forecast, type Hourly } from './model.js'

/**
 * A parsed intensity file as the forecaster's `Hourly`: each hour is the time-weighted mean of the
 * points over it, NaN where no point covers it. `parseIntensityFile` chains each row until the
 * next, so a missing day would otherwise hold the last value for 24 h; here a point counts for at
 * most its file's typical step (the median, at least an hour), and a longer gap is left unknown.
 */
export function hourlyFromPoints (points: readonly IntensityPoint[]): Hourly {
  if (points.length === 0) throw new RangeError('hourlyFromPoints: no points')
  const start = Math.floor(points[0]!.start / HOUR_MS) * HOUR_MS
  const last = points[points.length - 1]!
  const hours = Math.ceil((last.end - start) / HOUR_MS)
  const reach = Math.max(HOUR_MS, medianStep(points))
  const weighted = new Float64Array(hours)
  const covered = new Float64Array(hours)
  for (const p of points) {
    const end = Math.min(p.end, p.start + reach)
    for (let h = Math.floor((p.start - start) / HOUR_MS); h < hours && start + h * HOUR_MS < end; h++) {
      const a = Math.max(p.start, start + h * HOUR_MS)
      const b = Math.min(end, start + (h + 1) * HOUR_MS)
      if (b <= a) continue
      weighted[h]! += p.gPerKwh * (b - a)
      covered[h]! += b - a
    }
  }
  const values = Array.from(weighted, (w, h) => covered[h]! > 0 ? w / covered[h]! : NaN)
  return { start, values }
}

function medianStep (points: readonly IntensityPoint[]): number {
  const steps = points.map(p => p.end - p.start).sort((a, b) => a - b)
  return steps[Math.floor(steps.length / 2)]!
}

/** A forecast's median from `origin` as intensity points, one per hour (NaN steps left out), each with its p10 and p90. */
export function medianPoints (forecast: Forecast, origin: number): IntensityPoint[] {
  return forecast.p50.flatMap((g, h) => Number.isFinite(g)
    ? [{ start: origin + h * HOUR_MS, end: origin + (h + 1) * HOUR_MS, gPerKwh: g, p10: forecast.p10[h] ?? g, p90: forecast.p90[h] ?? g }]
    : [])
}

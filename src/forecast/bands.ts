import { HOUR_MS, historyBefore, type Forecast, type ForecastModel, type Hourly } from './model.js'

/** A model's median alone: `hours` values from `origin`, from `history` before it (NaN where it cannot say). */
export type PointForecaster = (history: Hourly, origin: number, hours: number) => number[]

/** Past origins, a day apart, whose errors make a forecast's band: three weeks. */
const PAST_ORIGINS = 21

/** The q-quantile (0–1) of sorted `xs`, linear between ranks. */
export function quantile (sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo)
}

/**
 * The model's own errors at the same origin hour on each of the last three weeks' days, as ratios
 * actual / forecast, by day of horizon (steps 0–23, 24–47, …): what it got wrong, there and then,
 * is its band now. Only values before `origin` are read.
 */
function pastRatios (point: PointForecaster, history: Hourly, origin: number, hours: number): number[][] {
  const days = Math.ceil(hours / 24)
  const ratios: number[][] = Array.from({ length: days }, () => [])
  const end = history.start + history.values.length * HOUR_MS
  for (let k = 1; k <= PAST_ORIGINS; k++) {
    const past = origin - k * 24 * HOUR_MS
    if (past - history.start < 7 * 24 * HOUR_MS) break
    const steps = Math.min(hours, Math.floor((end - past) / HOUR_MS))
    const predicted = point(historyBefore(history, past), past, steps)
    const first = Math.floor((past - history.start) / HOUR_MS)
    for (let h = 0; h < steps; h++) {
      const actual = history.values[first + h] as number
      const p = predicted[h] as number
      if (Number.isFinite(actual) && Number.isFinite(p) && p > 0 && actual > 0) ratios[Math.floor(h / 24)]!.push(actual / p)
    }
  }
  return ratios.map(r => r.sort((a, b) => a - b))
}

/**
 * A point forecaster made a model with quantiles: the median is the point forecast scaled by the
 * median of its recent ratios (a bias it keeps making is taken out), and p10/p90 by their 10th and
 * 90th percentiles, per day of horizon. A day of horizon with too few past errors borrows the
 * widest band known (or ±20 % when none is).
 */
export function bandedModel (name: string, point: PointForecaster): ForecastModel {
  return {
    name,
    forecast: (history: Hourly, origin: number, hours: number): Forecast => {
      const p50 = point(history, origin, hours)
      const ratios = pastRatios(point, history, origin, hours)
      const known = ratios.filter(r => r.length >= 24)
      const widest = known.length > 0 ? known.reduce((a, b) => (quantile(b, 0.9) - quantile(b, 0.1) > quantile(a, 0.9) - quantile(a, 0.1) ? b : a)) : undefined
      const out: Forecast = { p10: [], p50: [], p90: [] }
      for (let h = 0; h < hours; h++) {
        const r = ratios[Math.floor(h / 24)]
        const sorted = r !== undefined && r.length >= 24 ? r : widest
        const [lo, mid, hi] = sorted === undefined ? [0.8, 1, 1.2] : [quantile(sorted, 0.1), quantile(sorted, 0.5), quantile(sorted, 0.9)]
        const v = p50[h] as number
        out.p50.push(v * mid)
        out.p10.push(v * Math.min(lo, mid))
        out.p90.push(v * Math.max(hi, mid))
      }
      return out
    }
  }
}

import { quantile, type PointForecaster } from '../bands.js'
import { HOUR_MS, historyBefore, type Forecast, type ForecastModel, type Hourly } from '../model.js'

/** Past origins, a day apart at the same hour, the regression learns from: four weeks. */
const PAST_ORIGINS = 28
/** The ridge penalty, relative to the mean square of the features: a light pull toward equal weights' absence. */
const LAMBDA = 0.01

/** Solves the square system `a x = b` by Gaussian elimination with partial pivoting (a is small: 4 × 4). */
function solve (a: number[][], b: number[]): number[] {
  const n = b.length
  const m = a.map((row, i) => [...row, b[i] as number])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r
    ;[m[c], m[p]] = [m[p]!, m[c]!]
    const pivot = m[c]![c]!
    if (Math.abs(pivot) < 1e-12) continue
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const f = m[r]![c]! / pivot
      for (let k = c; k <= n; k++) m[r]![k] = m[r]![k]! - f * m[c]![k]!
    }
  }
  return m.map((row, i) => Math.abs(row[i]!) < 1e-12 ? 0 : row[n]! / row[i]!)
}

/**
 * A ridge regression over other forecasters: for each day of horizon, the actual intensity as a
 * weighted sum of what each base forecaster said (and an intercept), fitted on their forecasts
 * from the same hour on each of the last four weeks' days, with a small L2 penalty. The zone's own
 * history decides how much to trust yesterday, last week or the profile at each distance ahead.
 * The band is the fit's own ratios actual / fitted on those days (10th and 90th percentiles).
 */
export function ridgeStack (name: string, bases: readonly PointForecaster[]): ForecastModel {
  return {
    name,
    forecast: (history: Hourly, origin: number, hours: number): Forecast => {
      const days = Math.ceil(hours / 24)
      const k = bases.length + 1
      const xtx = Array.from({ length: days }, () => Array.from({ length: k }, () => new Array<number>(k).fill(0)))
      const xty = Array.from({ length: days }, () => new Array<number>(k).fill(0))
      const samples: Array<Array<{ x: number[], y: number }>> = Array.from({ length: days }, () => [])
      const end = history.start + history.values.length * HOUR_MS
      for (let p = 1; p <= PAST_ORIGINS; p++) {
        const past = origin - p * 24 * HOUR_MS
        if (past - history.start < 7 * 24 * HOUR_MS) break
        const steps = Math.min(hours, Math.floor((end - past) / HOUR_MS))
        if (steps <= 0) continue
        const cut = historyBefore(history, past)
        const said = bases.map(b => b(cut, past, steps))
        const first = Math.floor((past - history.start) / HOUR_MS)
        for (let h = 0; h < steps; h++) {
          const y = history.values[first + h] as number
          const x = [1, ...said.map(s => s[h] as number)]
          if (!Number.isFinite(y) || x.some(v => !Number.isFinite(v))) continue
          samples[Math.floor(h / 24)]!.push({ x, y })
        }
      }
      const now = bases.map(b => b(history, origin, hours))
      const weights = samples.map((rows, d) => {
        if (rows.length < 48) return undefined
        const a = xtx[d]!
        const b = xty[d]!
        for (const { x, y } of rows) {
          for (let i = 0; i < k; i++) {
            b[i] = b[i]! + x[i]! * y
            for (let j = 0; j < k; j++) a[i]![j] = a[i]![j]! + x[i]! * x[j]!
          }
        }
        const scale = a.reduce((s, row, i) => s + row[i]!, 0) / k
        for (let i = 1; i < k; i++) a[i]![i] = a[i]![i]! + LAMBDA * scale
        return solve(a, b)
      })
      const fitted = (w: number[], x: readonly number[]) => w.reduce((s, wi, i) => s + wi * (x[i] as number), 0)
      const bands = samples.map((rows, d) => {
        const w = weights[d]
        if (w === undefined) return undefined
        const ratios = rows.map(r => r.y / fitted(w, r.x)).filter(r => Number.isFinite(r) && r > 0).sort((a, b) => a - b)
        return ratios.length >= 24 ? [quantile(ratios, 0.1), quantile(ratios, 0.9)] as const : undefined
      })
      const out: Forecast = { p10: [], p50: [], p90: [] }
      for (let h = 0; h < hours; h++) {
        const d = Math.floor(h / 24)
        const x = [1, ...now.map(s => s[h] as number)]
        const w = weights[d]
        // Without enough past days for this distance, the first base forecaster alone.
        const v = Math.max(0, w === undefined || x.some(e => !Number.isFinite(e)) ? x[1] as number : fitted(w, x))
        const [lo, hi] = bands[d] ?? [0.8, 1.2]
        out.p50.push(v)
        out.p10.push(v * Math.min(1, lo))
        out.p90.push(v * Math.max(1, hi))
      }
      return out
    }
  }
}

import { historyBefore, HOUR_MS, type Forecast, type ForecastModel, type Hourly } from './model.js'

/**
 * Rolling-origin backtest of a forecast model: at each origin the model sees only the history
 * cut there (`historyBefore`, a fresh cut per origin), forecasts the longest horizon, and each
 * horizon H is scored on steps 1..H against what happened. Pure: no I/O, no clock.
 */

const DAY_MS = 24 * HOUR_MS

/** Every origin needs this much history: four weeks give a weekly model four seasons to look at. */
export const MIN_HISTORY_MS = 28 * DAY_MS

/** Which origins to score and which horizons (hours) to score at each. */
export interface EvaluateOptions {
  origins: readonly number[]
  horizons: readonly number[]
}

/** The scores at one horizon, pooled over every origin's steps 1..`hours`. */
export interface HorizonScore {
  hours: number
  /** Mean |p50 − actual| / actual, a fraction (0.08 is 8 %), over steps whose actual is > 0; NaN if none. */
  mape: number
  /** Mean |p50 − actual|, g/kWh, over steps with a known actual; NaN if none. */
  mae: number
  /** Share of steps with a known actual that fall within p10..p90 (inclusive); NaN if none. */
  coverage: number
  /** Steps with a known actual (those MAE and coverage count). */
  n: number
  /** Steps with an actual > 0 (those MAPE counts; a zero actual has no percentage error). */
  nMape: number
}

export interface Evaluation {
  /** Origins scored. */
  origins: number
  horizons: HorizonScore[]
}

interface Sums { ape: number, nMape: number, ae: number, covered: number, n: number }

/** Scores `model` on `series` from each origin; see the module comment. Throws on a forecast too short or not finite. */
export function evaluate (series: Hourly, model: ForecastModel, opts: EvaluateOptions): Evaluation {
  const horizons = [...opts.horizons]
  if (horizons.length === 0 || horizons.some(h => !Number.isInteger(h) || h < 1)) {
    throw new RangeError(`evaluate: horizons must be whole numbers of hours >= 1, got [${horizons.join(', ')}]`)
  }
  const longest = Math.max(...horizons)
  const sums: Sums[] = horizons.map(() => ({ ape: 0, nMape: 0, ae: 0, covered: 0, n: 0 }))
  for (const origin of opts.origins) {
    const forecast = model.forecast(historyBefore(series, origin), origin, longest)
    check(model.name, origin, forecast, longest)
    const first = Math.round((origin - series.start) / HOUR_MS)
    horizons.forEach((h, k) => addSteps(sums[k]!, series, first, forecast, h))
  }
  return { origins: opts.origins.length, horizons: horizons.map((hours, k) => score(hours, sums[k]!)) }
}

function check (name: string, origin: number, f: Forecast, hours: number): void {
  for (const key of ['p10', 'p50', 'p90'] as const) {
    if (f[key].length < hours) throw new Error(`model ${name} gave ${f[key].length} ${key} steps from ${new Date(origin).toISOString()}, ${hours} asked`)
    const bad = f[key].slice(0, hours).findIndex(x => !Number.isFinite(x))
    if (bad >= 0) throw new Error(`model ${name} gave a non-finite ${key} at step ${bad} from ${new Date(origin).toISOString()}`)
  }
}

function addSteps (s: Sums, series: Hourly, first: number, f: Forecast, hours: number): void {
  for (let i = 0; i < hours; i++) {
    const actual = series.values[first + i] ?? NaN
    if (!Number.isFinite(actual)) continue
    const error = Math.abs(f.p50[i]! - actual)
    s.ae += error
    s.n++
    if (f.p10[i]! <= actual && actual <= f.p90[i]!) s.covered++
    if (actual > 0) {
      s.ape += error / actual
      s.nMape++
    }
  }
}

function score (hours: number, s: Sums): HorizonScore {
  return { hours, mape: s.ape / s.nMape, mae: s.ae / s.n, coverage: s.covered / s.n, n: s.n, nMape: s.nMape }
}

/** Where origins may fall: `from..to` inclusive (ms), one every `everyHours`. */
export interface OriginRange {
  from: number
  to: number
  everyHours: number
}

/**
 * Origins every `everyHours` between `from` and `to` (inclusive), on a UTC grid: with 24 h (or any
 * multiple of 24) they fall at 00:00 UTC, with 6 h at 00, 06, 12, 18. Each keeps at least
 * `MIN_HISTORY_MS` of series before it and `longestHorizon` hours of series after it.
 */
export function originsFor (series: Hourly, range: OriginRange, longestHorizon: number): number[] {
  const { everyHours } = range
  if (!Number.isInteger(everyHours) || everyHours < 1) throw new RangeError(`originsFor: everyHours must be a whole number >= 1, got ${everyHours}`)
  const grid = gcd(everyHours, 24) * HOUR_MS
  const end = series.start + series.values.length * HOUR_MS
  const lo = Math.max(range.from, series.start + MIN_HISTORY_MS)
  const hi = Math.min(range.to, end - longestHorizon * HOUR_MS)
  const origins: number[] = []
  for (let t = Math.ceil(lo / grid) * grid; t <= hi; t += everyHours * HOUR_MS) origins.push(t)
  return origins
}

function gcd (a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b)
}

/** The repository's split of a series into origins for choosing a model and origins for reporting it. */
export interface Split {
  validation: OriginRange
  test: OriginRange
}

/**
 * The split the CLI and the bench use, data-driven so any span works: validation origins from the
 * half of the series' span to the start of the test, test origins from three quarters of the span
 * to its end. Both points snap to the nearest first of a month (00:00 UTC) when the series spans
 * at least four months, else to the nearest midnight. On a calendar year such as the shipped 2022
 * files this is validation 2022-07-01..2022-10-01 and test 2022-10-01..2022-12-28 (the last origin
 * whose 96 h have actuals). Validation origins stop `longestHorizon` hours before the test starts,
 * so the data that picks a model never overlaps the data that reports it.
 */
export function splitFor (series: Hourly, longestHorizon: number, everyHours = 24): Split {
  const span = series.values.length * HOUR_MS
  const snap = span >= 120 * DAY_MS ? nearestMonthStart : nearestMidnight
  const testFrom = snap(series.start + span * 0.75)
  return {
    validation: { from: snap(series.start + span * 0.5), to: testFrom - longestHorizon * HOUR_MS, everyHours },
    test: { from: testFrom, to: series.start + span, everyHours }
  }
}

function nearestMidnight (t: number): number {
  return Math.round(t / DAY_MS) * DAY_MS
}

function nearestMonthStart (t: number): number {
  const d = new Date(t)
  const here = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
  return t - here < next - t ? here : next
}

/**
 * greenshift's own intensity forecaster: the shapes every model shares. A model sees a zone's
 * hourly history up to a forecast origin and gives, for each hour after it, a median and a
 * p10–p90 band. It never sees anything at or after the origin: the evaluation hands it a history
 * cut there (see `historyBefore`).
 */

export const HOUR_MS = 3_600_000

/** A zone's hourly intensity: `values[i]` covers [start + i h, start + (i + 1) h), gCO2e/kWh; NaN where unknown. */
export interface Hourly {
  /** Hour-aligned UTC instant, ms. */
  start: number
  values: readonly number[]
}

/** A forecast of `hours` steps from its origin: step i covers [origin + i h, origin + (i + 1) h). */
export interface Forecast {
  p10: number[]
  p50: number[]
  p90: number[]
}

export interface ForecastModel {
  /** Short stable name: `seasonal-day`, `seasonal-week`, `ew-profile`, … */
  readonly name: string
  /** Forecasts `hours` steps from `origin` (hour-aligned) from `history`, which ends at or before `origin`. */
  forecast: (history: Hourly, origin: number, hours: number) => Forecast
}

/** The part of `series` before `origin`: all a model may see when forecasting from it. */
export function historyBefore (series: Hourly, origin: number): Hourly {
  const n = Math.max(0, Math.min(series.values.length, Math.floor((origin - series.start) / HOUR_MS)))
  return { start: series.start, values: series.values.slice(0, n) }
}

/** The value of the hour that starts at `t`, or NaN outside the series. */
export function valueAt (series: Hourly, t: number): number {
  const i = Math.floor((t - series.start) / HOUR_MS)
  return i >= 0 && i < series.values.length ? series.values[i] as number : NaN
}

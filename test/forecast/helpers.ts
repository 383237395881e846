import { HOUR_MS, type Forecast, type ForecastModel, type Hourly } from '../../src/forecast/model.js'

/** 2022-01-01T00:00:00Z. */
export const Y2022 = Date.UTC(2022, 0, 1)

/**
 * A year-like synthetic series: a daily cycle (±100 around 300 g/kWh), a weekly dip and a slow
 * drift, so yesterday is a good guess but never an exact one.
 */
export function synthetic (start: number, hours: number): Hourly {
  const values = Array.from({ length: hours }, (_, i) => {
    const daily = 100 * Math.sin((2 * Math.PI * (i % 24)) / 24)
    const weekly = Math.floor(i / 24) % 7 >= 5 ? -40 : 0
    return 300 + daily + weekly + 30 * Math.sin(i / 500)
  })
  return { start, values }
}

/** The same figure for every step, with a band of ±`band`. */
export function constantModel (name: string, value: number, band = 10): ForecastModel {
  return { name, forecast: (_h, _o, hours) => fill(hours, () => value, band) }
}

/** Tomorrow looks like the last 24 h seen, with a ±`band` g/kWh band. */
export function seasonalDayModel (name = 'test-seasonal-day', band = 20): ForecastModel {
  return {
    name,
    forecast: (history, _o, hours) => {
      const v = history.values
      return fill(hours, i => v[v.length - 24 + (i % 24)] ?? 300, band)
    }
  }
}

export function fill (hours: number, p50: (i: number) => number, band: number): Forecast {
  const mid = Array.from({ length: hours }, (_, i) => p50(i))
  return { p10: mid.map(x => x - band), p50: mid, p90: mid.map(x => x + band) }
}

export const hoursAfter = (start: number, h: number): number => start + h * HOUR_MS

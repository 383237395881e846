import { HOUR_MS, type Hourly } from '../model.js'
import { bandedModel, type PointForecaster } from '../bands.js'

/**
 * Seasonal naive: each hour is the same hour one period (a day, a week) before the last one
 * observed. The persistence baseline every forecast is judged against.
 */
export function seasonalNaive (periodHours: number): PointForecaster {
  return (history: Hourly, origin: number, hours: number): number[] => {
    const n = history.values.length
    const offset = Math.floor((origin - history.start) / HOUR_MS)
    const out: number[] = []
    for (let h = 0; h < hours; h++) {
      // The most recent observed index with the target's phase in the period.
      let i = offset + h - periodHours * Math.ceil((offset + h - (n - 1)) / periodHours)
      while (i >= 0 && !(i < n && Number.isFinite(history.values[i]))) i -= periodHours
      out.push(i >= 0 ? history.values[i] as number : NaN)
    }
    return out
  }
}

export const seasonalDay = bandedModel('seasonal-day', seasonalNaive(24))
export const seasonalWeek = bandedModel('seasonal-week', seasonalNaive(168))

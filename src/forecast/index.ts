import { bandedModel } from './bands.js'
import type { ForecastModel } from './model.js'
import { ewProfile } from './models/ew-profile.js'
import { ridgeStack } from './models/ridge.js'
import { seasonalDay, seasonalNaive, seasonalWeek } from './models/seasonal.js'

export type { ForecastModel, Forecast, Hourly } from './model.js'

const profile = ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: false })

/** The candidates an evaluation picks from, on held-out data. */
export const MODELS: ForecastModel[] = [
  ridgeStack('ridge', [profile, seasonalNaive(24), seasonalNaive(168)]),
  seasonalDay,
  seasonalWeek,
  // Tuned on the 14 shipped zones' July–September 2022 (the validation origins), never on the test months.
  bandedModel('ew-profile', profile),
  bandedModel('ew-profile-weekly', ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: true }))
]

/**
 * Seasonal-naive persistence (the same hour on the last day observed), as it is: no bias
 * correction and no band. Every model's figures are judged against it in the same run.
 */
export const persistence: ForecastModel = {
  name: 'persistence',
  forecast: (history, origin, hours) => {
    const p = seasonalNaive(24)(history, origin, hours)
    return { p10: p, p50: p, p90: p }
  }
}

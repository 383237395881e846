import { bandedModel } from './bands.js'
import type { ForecastModel } from './model.js'
import { ewProfile } from './models/ew-profile.js'
import { ridgeStack } from './models/ridge.js'
import { seasonalDay, seasonalNaive, seasonalWeek } from './models/seasonal.js'

export type { ForecastModel, Forecast, Hourly } from './model.js'

const profile = ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: false })

/**
 * The profile greenshift plans with: weekdays and weekend days each with their own profile (half
 * weight to the other kind of day), and the last two hours' departure carried as a ratio. Chosen
 * over `profile` on the 14 shipped zones' July–September 2022 for the share of the oracle's saving
 * it captures (1-hour jobs, 24 h of slack), with no worse validation MAPE; never on the test months.
 */
const planningProfile = ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: false, otherDayType: 0.5, levelHours: 2, relativeLevel: true })

/** The candidates an evaluation picks from, on held-out data. */
export const MODELS: ForecastModel[] = [
  ridgeStack('ridge', [profile, seasonalNaive(24), seasonalNaive(168)]),
  seasonalDay,
  seasonalWeek,
  // Tuned on the 14 shipped zones' July–September 2022 (the validation origins), never on the test months.
  bandedModel('ew-profile', planningProfile),
  bandedModel('ew-profile-weekly', ewProfile({ days: 28, decay: 0.75, persistence: 0.95, weekly: true }))
]

/**
 * The model greenshift plans with where no provider forecasts: the profile, which had the lowest
 * validation error on most of the shipped zones (see the README, "Forecast evaluation").
 */
export const GREENSHIFT_MODEL: ForecastModel = MODELS.find(m => m.name === 'ew-profile')!

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

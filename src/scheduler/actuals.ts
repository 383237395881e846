import { floorHour } from '../core/intervals.js'
import { labelsOf, sameLabels } from '../core/ledger-price.js'
import { newestCovering } from '../core/resample.js'
import { HOUR_MS, type Instant } from '../core/types.js'
import { insertIntensityPoints, intensityRows, latestPoints, newestFetch } from '../store/intensity.js'
import { MODEL_HISTORY_DAYS } from './model-forecast.js'
import type { Deps } from './deps.js'
import { budgetsOf, observedFetch, refreshMsOf } from './fetch.js'
import type { ZoneStatus } from './forecasts.js'
import { errorMessage } from '../errors.js'

/**
 * Actuals are re-fetched over the last 48 h: Electricity Maps marks its latest hours `isEstimated`
 * and revises them, and WattTime and UK Carbon Intensity publish or settle with a delay of up to a
 * few hours. Older hours have settled.
 */
export const ACTUALS_WINDOW_MS = 48 * HOUR_MS

/**
 * Fetches a zone's actuals over the last 48 h (within the tick's budget) when the zone's refresh
 * interval has passed since the last try, and stores the points that differ from what is stored for
 * their span: a point is unchanged only when the newest stored fetch covering it holds it whole,
 * with the same value, labels (signal, gas, factor type), source and version. So a re-fetch that changes nothing stores nothing, and a
 * point fetched again after another source's (or resolution's) rows is stored again, newest.
 * Never throws; returns how many points were stored.
 */
export async function refreshActuals (deps: Deps, zone: string, status: ZoneStatus, now: Instant): Promise<number> {
  if (status.actualsAttemptAt !== undefined && now - status.actualsAttemptAt < refreshMsOf(deps, zone)) return 0
  const first = status.actualsAttemptAt === undefined
  status.actualsAttemptAt = now
  // From a whole hour, so that re-fetched hourly points keep their starts and compare equal. The
  // first time a process asks for a zone with nothing measured stored, it asks for the weeks its
  // forecaster trains on (a provider that keeps less answers what it has, or fails once).
  const backfill = first && await newestFetch(deps.store.db, zone, 'actual') === undefined
  const from = floorHour(now) - (backfill ? MODEL_HISTORY_DAYS * 24 * HOUR_MS : ACTUALS_WINDOW_MS)
  const series = (await observedFetch(deps, zone, 'actuals', from, now, budgetsOf(deps).tickMs))?.series
  if (series === undefined || series.points.length === 0) return 0
  try {
    const merged = newestCovering(await latestPoints(deps.store.db, zone, 'actual', from, now))
    const stored = new Map(merged.map(p => [`${p.start} ${p.end}`, p]))
    const labels = labelsOf(series)
    const version = series.version ?? null
    const changed = series.points.filter(p => {
      const old = stored.get(`${p.start} ${p.end}`)
      return old === undefined || old.gPerKwh !== p.gPerKwh || !sameLabels(old, labels) || old.source !== series.source || old.version !== version
    })
    await insertIntensityPoints(deps.store.db, intensityRows(zone, 'actual', series, changed, now))
    return changed.length
  } catch (err) {
    deps.log.warn({ zone, err: errorMessage(err) }, 'storing actuals failed')
    return 0
  }
}

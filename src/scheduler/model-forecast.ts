import { labelsOf } from '../core/ledger-price.js'
import { HOUR_MS, type Instant, type Series } from '../core/types.js'
import { extendWithModel, type Seam } from '../forecast/extend.js'
import { hourlyFromPoints } from '../forecast/from-points.js'
import { GREENSHIFT_MODEL } from '../forecast/index.js'
import { newestFetch, storedIntensity } from '../store/intensity.js'
import type { Db } from '../store/schema.js'

/**
 * Days of measured history the model is trained on: its profile reads 28, and its band replays
 * itself at each of the 21 days before that. Actuals are kept at least this long (`pruneIntensity`).
 */
export const MODEL_HISTORY_DAYS = 35

/** A series extended by greenshift's model, and the label its extension carries. */
export interface Modelled {
  series: Series
  /** `model:greenshift-<name>@<training end>`: what a narrower range reaching the extension names. */
  source: string
}

/**
 * Extends a zone's stored forecast over [from, to) past its end with greenshift's forecaster
 * (`extendWithModel`), trained on the zone's stored actuals of the series' own labels over the 35
 * days before the newest measurement. The history depends on what is stored alone, not on the
 * clock, so a zone's version (which any stored row moves) fixes the forecast. Undefined when the series reaches `to`
 * already or the stored history is too thin: the week profile, then the planner's own fallback,
 * come next.
 */
export async function withModelForecast (db: Db, zone: string, series: Series, from: Instant, to: Instant, seam?: Seam): Promise<Modelled | undefined> {
  if (Math.max(from, series.points.at(-1)?.end ?? from) >= to) return undefined
  const newest = await newestFetch(db, zone, 'actual')
  if (newest === undefined) return undefined
  // The history ends where the newest measurements do: stored actuals are measured, never ahead.
  const end = newest.horizonEnd
  const stored = await storedIntensity(db, zone, 'actual', end - MODEL_HISTORY_DAYS * 24 * HOUR_MS, end, labelsOf(series))
  const points = stored.points.filter(p => p.start < end).map(p => ({ ...p, end: Math.min(p.end, end) }))
  if (points.length === 0) return undefined
  const history = hourlyFromPoints(points)
  const extended = extendWithModel(series, history, from, to, GREENSHIFT_MODEL, seam)
  if (extended === undefined) return undefined
  return { series: extended, source: extended.source.slice(extended.source.lastIndexOf('model:greenshift-')) }
}

import { oneResolution } from '../core/resample.js'
import { HOUR_MS, type Instant, type Series } from '../core/types.js'
import type { FetchKind } from './chain.js'

/**
 * A forecast ending less than 2 h after `from` leaves the planner nothing to shift a job into: it
 * counts as a gap, and the next provider is asked.
 */
const MIN_FORECAST_AHEAD_MS = 2 * HOUR_MS
/** Actuals covering less than 90 % of the range asked for are a gap (a few hours' publishing delay in 48 h is fine). */
const MIN_ACTUALS_COVERAGE = 0.9
/**
 * No grid emits more than this: lignite, the dirtiest fuel, is about 1,100 g/kWh over its life
 * cycle; 5,000 g/kWh leaves room for any real mix and rejects unit and parsing errors.
 */
const MAX_G_PER_KWH = 5_000

const iso = (t: Instant) => Number.isFinite(t) ? new Date(t).toISOString() : String(t)

/** How long the points of `series` cover inside [from, to), ms (points never overlap). */
export function covered (series: Series, from: Instant, to: Instant): number {
  return series.points.reduce((sum, p) => sum + Math.max(0, Math.min(p.end, to) - Math.max(p.start, from)), 0)
}

/**
 * A provider's answer as it may be stored: its points checked (finite, not reversed, no overlaps,
 * 0 to 5,000 g/kWh) and put on one resolution (see `oneResolution`). Throws on anything else, so
 * the chain counts the answer as an error and asks the next provider.
 */
export function checkedSeries (series: Series): Series {
  const bad = series.points.find(p => !(p.gPerKwh >= 0 && p.gPerKwh <= MAX_G_PER_KWH))
  if (bad !== undefined) throw new Error(`bad data: ${bad.gPerKwh} g/kWh at ${iso(bad.start)} is outside 0..${MAX_G_PER_KWH}`)
  try {
    return { ...series, points: oneResolution(series.points) }
  } catch (err) {
    throw new Error(`bad data: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** Why an answer is too short to use, or undefined when it is enough. */
export function gapOf (kind: FetchKind, series: Series, from: Instant, to: Instant): string | undefined {
  if (series.points.length === 0) return `no ${kind === 'forecast' ? 'forecast' : 'actual'} points in [${iso(from)}, ${iso(to)})`
  if (kind === 'forecast') {
    const end = series.points.reduce((e, p) => Math.max(e, p.end), -Infinity)
    const needed = Math.min(to, from + MIN_FORECAST_AHEAD_MS)
    return end >= needed ? undefined : `forecast ends at ${iso(end)}, before ${iso(needed)}`
  }
  const share = covered(series, from, to) / Math.max(1, to - from)
  return share >= MIN_ACTUALS_COVERAGE ? undefined : `actuals cover ${Math.round(share * 100)} % of [${iso(from)}, ${iso(to)})`
}

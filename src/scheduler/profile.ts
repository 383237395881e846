import { labelsOf } from '../core/ledger-price.js'
import { HOUR_MS, type Instant, type IntensityPoint, type Series } from '../core/types.js'
import type { Db } from '../store/schema.js'
import { storedIntensity } from '../store/intensity.js'

/** How plans say that they were priced on the weekly profile rather than on a forecast. */
export const PROFILE_SOURCE = 'profile:same-hour-last-week'

const WEEK_MS = 7 * 24 * HOUR_MS
const WEEK_HOURS = 168
/**
 * A week with fewer than 90 % of its 168 hours known (152) is too thin to stand for "last week":
 * the planner's own fallback (the last known day, repeated) is used instead.
 */
const MIN_KNOWN_HOURS = Math.ceil(0.9 * WEEK_HOURS)

const mod = (a: number, n: number) => ((a % n) + n) % n

/** Time-weighted hourly means of `points` over the 168 hours from `start`; undefined where none overlaps. */
function hourlyMeans (points: readonly IntensityPoint[], start: Instant): Array<number | undefined> {
  const sum = new Array<number>(WEEK_HOURS).fill(0)
  const weight = new Array<number>(WEEK_HOURS).fill(0)
  for (const p of points) {
    const hi = Math.min(p.end, start + WEEK_MS)
    for (let t = Math.max(p.start, start); t < hi;) {
      const i = Math.floor((t - start) / HOUR_MS)
      const until = Math.min(hi, start + (i + 1) * HOUR_MS)
      sum[i] = (sum[i] ?? 0) + p.gPerKwh * (until - t)
      weight[i] = (weight[i] ?? 0) + (until - t)
      t = until
    }
  }
  return sum.map((s, i) => (weight[i] ?? 0) > 0 ? s / (weight[i] ?? 1) : undefined)
}

/**
 * The week before `anchor` as 168 hourly values: measured (actuals) where known, else forecast,
 * else undefined. Bin i covers [anchor − 7 d + i h, anchor − 7 d + (i + 1) h). Pure.
 */
export function weekBins (actuals: readonly IntensityPoint[], forecasts: readonly IntensityPoint[], anchor: Instant): Array<number | undefined> {
  const measured = hourlyMeans(actuals, anchor - WEEK_MS)
  const predicted = hourlyMeans(forecasts, anchor - WEEK_MS)
  return measured.map((v, i) => v ?? predicted[i])
}

/**
 * Hourly points over [from, to), each the value of the same hour of the week in `bins` (so the hour
 * `anchor + j h` takes bin j mod 168: last week's value, repeated weekly further out). Hours whose
 * bin is unknown are left out; the planner fills such holes and labels them. Pure.
 */
export function profilePoints (bins: ReadonlyArray<number | undefined>, anchor: Instant, from: Instant, to: Instant): IntensityPoint[] {
  const out: IntensityPoint[] = []
  for (let j = Math.floor((from - anchor) / HOUR_MS); anchor + j * HOUR_MS < to; j++) {
    const start = anchor + j * HOUR_MS
    const value = bins[mod(j, WEEK_HOURS)]
    if (value !== undefined) out.push({ start: Math.max(start, from), end: Math.min(start + HOUR_MS, to), gPerKwh: value })
  }
  return out
}

/**
 * Extends a zone's stored forecast over [from, to) past its end with the same-hour-last-week
 * profile, built from the stored actuals and forecasts (of the series' own signal, gas and factor type) of the 7 days
 * before the data ends: `dataEnd` when the series is empty, else the series' end. The result is
 * labelled: `source` gains `profile:same-hour-last-week` and `fallbackFrom` marks where the profile
 * starts, so a plan reaching it says `usesFallback`. Unchanged when the series reaches `to` or the
 * stored week is too thin (fewer than 152 known hours).
 */
export async function withWeekProfile (db: Db, zone: string, series: Series, from: Instant, to: Instant, dataEnd: Instant): Promise<Series> {
  const last = series.points.at(-1)
  const coverEnd = Math.max(from, last?.end ?? from)
  if (coverEnd >= to) return series
  const anchor = last === undefined ? dataEnd : last.end
  // Each kind merged and on one grid, so a week spanning a fall to another resolution counts every hour once.
  const read = async (kind: 'actual' | 'forecast') => (await storedIntensity(db, zone, kind, anchor - WEEK_MS, anchor, labelsOf(series))).points
  const actuals = await read('actual')
  const forecasts = await read('forecast')
  const bins = weekBins(actuals, forecasts, anchor)
  if (bins.filter(v => v !== undefined).length < MIN_KNOWN_HOURS) return series
  return {
    ...series,
    source: last === undefined ? PROFILE_SOURCE : `${series.source}+${PROFILE_SOURCE}`,
    points: [...series.points, ...profilePoints(bins, anchor, coverEnd, to)],
    fallbackFrom: coverEnd
  }
}

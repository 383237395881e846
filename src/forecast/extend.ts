import type { IntensityPoint, Series } from '../core/types.js'
import { HOUR_MS, historyBefore, type ForecastModel, type Hourly } from './model.js'

/** The model needs this many known hours in the week before its origin (of 168), else it is not used. */
export const MIN_HISTORY_HOURS = 72
/** Hours after a provider's last point over which the model's first values are drawn towards it. */
export const SEAM_HOURS = 6

const WEEK_HOURS = 168

/** An instant as the model's label shows it: RFC 3339 UTC to the minute. */
const isoMinute = (t: number): string => new Date(t).toISOString().slice(0, 16) + 'Z'

/**
 * Where a provider's forecast ends and its value there: the model's first hours are drawn towards
 * it. Given apart from the series when the range asked for starts after the provider's end.
 */
export interface Seam { at: number, gPerKwh: number }

/** How a series says it was extended by greenshift's model trained on history up to `trainingEnd`. */
export function modelSource (model: ForecastModel, trainingEnd: number): string {
  return `model:greenshift-${model.name}@${isoMinute(trainingEnd)}`
}

/** Where the known history ends: after its last finite hour (the series' start when none is). */
export function trainingEnd (history: Hourly): number {
  let n = history.values.length
  while (n > 0 && !Number.isFinite(history.values[n - 1])) n--
  return history.start + n * HOUR_MS
}

/** Finite values among the 168 hours before `t`. */
function knownWeekBefore (history: Hourly, t: number): number {
  const end = Math.floor((t - history.start) / HOUR_MS)
  let known = 0
  for (let i = Math.max(0, end - WEEK_HOURS); i < Math.min(end, history.values.length); i++) if (Number.isFinite(history.values[i])) known++
  return known
}

/**
 * `series` (a provider's forecast over [from, to), possibly empty) extended to `to` with `model`'s
 * forecast from the zone's measured `history`: from the series' end (or `from`) on, each hour
 * carries the model's median with its p10 and p90. The model forecasts from where its history ends
 * (its origin), so each value has the lead time it really has; hours before the origin are not
 * covered (they are past). Where the extension joins a provider's last point (or `seam`), the
 * model is shifted towards that value, fading linearly to nothing over `SEAM_HOURS` hours, so the
 * curve has no jump at the seam. The result is labelled `<source>+model:greenshift-<name>@<training
 * end>` (the model alone, without a version, when the series was empty) and is no fallback
 * (`fallbackFrom` unset).
 * Undefined when the series already reaches `to` or the history is too thin (fewer than
 * `MIN_HISTORY_HOURS` known in the week before the origin). Pure.
 */
export function extendWithModel (series: Series, history: Hourly, from: number, to: number, model: ForecastModel, seam?: Seam): Series | undefined {
  const last = series.points.at(-1)
  const coverEnd = Math.max(from, last?.end ?? from)
  if (coverEnd >= to) return undefined
  const origin = trainingEnd(history)
  if (origin >= to || knownWeekBefore(history, origin) < MIN_HISTORY_HOURS) return undefined
  const begin = Math.max(coverEnd, origin)
  const hours = Math.ceil((to - origin) / HOUR_MS)
  const f = model.forecast(historyBefore(history, origin), origin, hours)
  const first = Math.floor((begin - origin) / HOUR_MS)
  const joint = seam ?? (last !== undefined && last.end === begin ? { at: begin, gPerKwh: last.gPerKwh } : undefined)
  const seamStep = joint === undefined ? 0 : Math.floor((joint.at - origin) / HOUR_MS)
  const gap = joint === undefined ? 0 : joint.gPerKwh - (f.p50[seamStep] as number)
  const extra: IntensityPoint[] = []
  for (let h = first; h < hours; h++) {
    const mid = f.p50[h] as number
    if (!Number.isFinite(mid)) continue
    const k = h - seamStep
    const shift = Number.isFinite(gap) && k >= 0 && k < SEAM_HOURS ? gap * (SEAM_HOURS - k) / (SEAM_HOURS + 1) : 0
    // To 0.1 g/kWh: no forecast is finer, and the API shows them as they are.
    const at = (v: number | undefined) => Math.round(10 * Math.max(0, (Number.isFinite(v) ? v as number : mid) + shift)) / 10
    const start = origin + h * HOUR_MS
    extra.push({ start: Math.max(start, begin), end: Math.min(start + HOUR_MS, to), gPerKwh: at(mid), p10: at(f.p10[h]), p90: at(f.p90[h]) })
  }
  if (extra.length === 0) return undefined
  const label = modelSource(model, origin)
  // The model alone states no provider's version: its label names what it was trained on.
  const { zone, signal, gas, factorType, version } = series
  return {
    zone,
    signal,
    ...(gas === undefined ? {} : { gas }),
    ...(factorType === undefined ? {} : { factorType }),
    ...(last === undefined || version === undefined ? {} : { version }),
    source: last === undefined ? label : `${series.source}+${label}`,
    points: [...series.points, ...extra]
  }
}

import { MINUTE_MS, type Instant, type IntensityPoint } from '../core/types.js'

/** Throws the caller's error (a `ProviderError` naming provider and zone) with a problem's detail. */
export type Fail = (detail: string) => never

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * ISO 8601 with an explicit offset, as .NET writes a `DateTimeOffset` (`2022-07-19T14:00:00+00:00`,
 * `…-04:00`, `…Z`) with up to 7 fractional digits (`20:45:11.5092741`). A time without an offset is
 * refused: it would be read in the host's zone.
 */
const ISO_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})$/

/** Epoch ms of an ISO 8601 time with an offset; fractions past milliseconds are dropped. */
export function sdkTime (text: unknown, path: string, fail: Fail): Instant {
  const m = typeof text === 'string' ? ISO_OFFSET.exec(text) : null
  const t = m === null ? Number.NaN : Date.parse(`${m[1] ?? ''}${m[2] === undefined ? '' : `.${m[2].slice(0, 3)}`}${m[3] ?? ''}`)
  return Number.isFinite(t) ? t : fail(`${path} is not an ISO 8601 time with an offset: ${JSON.stringify(text)}`)
}

/** A .NET `TimeSpan` as System.Text.Json writes it, `[d.]hh:mm:ss[.fffffff]`. */
const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/

/** Milliseconds of a positive `TimeSpan` string. */
export function sdkTimeSpan (text: unknown, path: string, fail: Fail): number {
  const m = typeof text === 'string' ? TIMESPAN.exec(text) : null
  if (m === null) {
    return fail(`${path} is ${text === undefined ? 'missing' : `not a TimeSpan like "00:05:00": ${JSON.stringify(text)}`}; each point needs its period`)
  }
  const n = (i: number): number => Number(m[i] ?? '0')
  const ms = (((n(1) * 24 + n(2)) * 60 + n(3)) * 60 + n(4)) * 1000 + Number(`0.${m[5] ?? '0'}`) * 1000
  return ms > 0 ? ms : fail(`${path} is a zero duration: ${String(text)}`)
}

function gPerKwh (v: unknown, path: string, fail: Fail): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fail(`${path} is not a non-negative number: ${JSON.stringify(v)}`)
}

/**
 * Points of `GET /emissions/forecasts/current`: a list of `EmissionsForecastDTO`, one per location
 * asked. Each `forecastData` point is `{location, timestamp, duration (int minutes), value (g/kWh)}`.
 * The optimum is ignored whichever spelling it comes in (`optimalDataPoints`, a list, in the code;
 * `optimalDataPoint`, an object, in the docs): greenshift plans on the points themselves.
 */
export function sdkForecastPoints (body: unknown, location: string, fail: Fail): IntensityPoint[] {
  if (body === null) return []
  if (!Array.isArray(body)) return fail('body is not a list of forecasts')
  if (body.length === 0) return []
  const index = Math.max(0, body.findIndex(f => isObject(f) && f.location === location))
  const forecast: unknown = body[index]
  if (!isObject(forecast)) return fail(`[${index}] is not an object`)
  const data = forecast.forecastData
  if (!Array.isArray(data)) return fail(`[${index}].forecastData is not a list`)
  return data.map((item: unknown, i) => {
    const path = `[${index}].forecastData[${i}]`
    if (!isObject(item)) return fail(`${path} is not an object`)
    const start = sdkTime(item.timestamp, `${path}.timestamp`, fail)
    const minutes = item.duration
    if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes <= 0) {
      return fail(`${path}.duration is not a positive whole number of minutes: ${JSON.stringify(minutes)}`)
    }
    return { start, end: start + minutes * MINUTE_MS, gPerKwh: gPerKwh(item.value, `${path}.value`, fail) }
  })
}

/**
 * Points of `GET /emissions/bylocation`: a list of `EmissionsData` `{location, time, rating (g/kWh),
 * duration (TimeSpan)}`. The docs' example omits `duration`; a point without one is refused rather
 * than given a period guessed from its neighbours.
 */
export function sdkActualPoints (body: unknown, fail: Fail): IntensityPoint[] {
  if (body === null) return []
  if (!Array.isArray(body)) return fail('body is not a list of emissions data')
  return body.map((item: unknown, i) => {
    const path = `[${i}]`
    if (!isObject(item)) return fail(`${path} is not an object`)
    const start = sdkTime(item.time, `${path}.time`, fail)
    const end = start + sdkTimeSpan(item.duration, `${path}.duration`, fail)
    return { start, end, gPerKwh: gPerKwh(item.rating, `${path}.rating`, fail) }
  })
}

/**
 * Sorted by start without overlaps: a point that starts before the previous one ends is dropped
 * (the first wins), so repeated or overlapping answers never count an interval twice.
 */
export function nonOverlapping (points: readonly IntensityPoint[]): IntensityPoint[] {
  const out: IntensityPoint[] = []
  for (const p of [...points].sort((a, b) => a.start - b.start || a.end - b.end)) {
    const last = out.at(-1)
    if (last === undefined || p.start >= last.end) out.push(p)
  }
  return out
}

/** The words of an ASP.NET `ValidationProblemDetails` body (`title`, `detail`, `errors`), else raw text. */
export function sdkProblem (body: unknown, text: string): string {
  if (!isObject(body)) return text.trim().slice(0, 300)
  const parts = [body.title, body.detail].filter((s): s is string => typeof s === 'string' && s !== '')
  if (isObject(body.errors)) {
    for (const [key, messages] of Object.entries(body.errors)) parts.push(`${key}: ${Array.isArray(messages) ? messages.join('; ') : String(messages)}`)
  }
  return parts.length > 0 ? parts.join(' — ') : text.trim().slice(0, 300)
}

import type { Instant } from '../core/types.js'

/**
 * One half-hour as the UK Carbon Intensity API reports it, in gCO2/kWh. `actual` is the API's
 * "estimated actual": national routes fill it about 30 minutes after the period ends; regional routes
 * never carry it. Either value may be null.
 */
export interface UkPeriod {
  start: Instant
  end: Instant
  forecast: number | null
  actual: number | null
}

/** Throws the caller's error (a `ProviderError` naming provider and zone) with a problem's detail. */
export type Fail = (detail: string) => never

/** Path times are `YYYY-MM-DDThh:mmZ` (docs); seconds are tolerated. Always UTC, never a bare local time. */
const API_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?Z$/

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The half-hours in a response body. National routes answer `{data: [period…]}`; regional routes by
 * region id or postcode answer `{data: {regionid, …, data: [period…]}}` in practice and
 * `{data: [{regionid, …, data: [period…]}]}` in the docs, so both are read. `{}`, `{data: []}` and an
 * empty body are the API's way of saying "no data" (seen on 200s beyond the forecast horizon).
 */
export function ukPeriods (body: unknown, regional: boolean, fail: Fail): UkPeriod[] {
  if (body === null || (isObject(body) && Object.keys(body).length === 0)) return []
  if (!isObject(body) || !('data' in body)) return fail('body has no "data" member')
  const list = regional ? regionPeriods(body.data, fail) : body.data
  if (!Array.isArray(list)) return fail(regional ? 'data.data is not a list' : 'data is not a list')
  return list.map((item, i) => period(item, `${regional ? 'data.data' : 'data'}[${i}]`, fail))
}

function regionPeriods (data: unknown, fail: Fail): unknown {
  if (Array.isArray(data)) {
    if (data.length === 0) return []
    if (data.length > 1) return fail(`data lists ${data.length} regions, expected one`)
    data = data[0]
  }
  if (isObject(data) && Object.keys(data).length === 0) return []
  if (!isObject(data)) return fail('data is not a region object')
  return data.data
}

function period (item: unknown, path: string, fail: Fail): UkPeriod {
  if (!isObject(item)) return fail(`${path} is not an object`)
  const start = time(item.from, `${path}.from`, fail)
  const end = time(item.to, `${path}.to`, fail)
  if (end <= start) return fail(`${path} ends at or before it starts (${String(item.from)} → ${String(item.to)})`)
  const intensity = item.intensity
  if (!isObject(intensity)) return fail(`${path}.intensity is not an object`)
  return {
    start,
    end,
    forecast: value(intensity.forecast, `${path}.intensity.forecast`, fail),
    actual: value(intensity.actual, `${path}.intensity.actual`, fail)
  }
}

function time (text: unknown, path: string, fail: Fail): Instant {
  const t = typeof text === 'string' && API_TIME.test(text) ? Date.parse(text) : Number.NaN
  return Number.isFinite(t) ? t : fail(`${path} is not a UTC time like 2020-05-21T20:30Z: ${JSON.stringify(text)}`)
}

/** gCO2/kWh: a non-negative number, or null/absent for "not known (yet)". */
function value (v: unknown, path: string, fail: Fail): number | null {
  if (v === null || v === undefined) return null
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fail(`${path} is not a non-negative number: ${JSON.stringify(v)}`)
}

/** The API's own words from an error body `{"error": {"code", "message"}}`, else the raw text. */
export function ukErrorMessage (body: unknown): string {
  const error = isObject(body) ? body.error : undefined
  if (isObject(error) && typeof error.message === 'string') {
    return typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.message
  }
  return JSON.stringify(body).slice(0, 200)
}

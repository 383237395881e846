import { MINUTE_MS, type Instant, type IntensityPoint } from '../core/types.js'

/** Both datasets hold 5-minute rows; `Minutes5UTC` is the interval's start ("00:00:00 … 00:04:59"). */
export const ROW_MS = 5 * MINUTE_MS

/** One page of a dataset: the rows for one price area as points, and the paging counters. */
export interface EdsPage {
  points: IntensityPoint[]
  /** Records on this page, all price areas. */
  count: number
  /** Records the query matches in all, per the response's `total`. */
  total: number
}

/** Throws the caller's error (a `ProviderError` naming provider and zone) with a problem's detail. */
export type Fail = (detail: string) => never

/**
 * `2026-02-07T06:50:00`: no zone designator, although the column is UTC. Parsed with an explicit Z,
 * never by `Date.parse` alone, which would read it in the host's zone.
 */
const UTC_NO_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?Z?$/

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Reads `{"total", "limit", "dataset", "records": [{Minutes5UTC, Minutes5DK, PriceArea, CO2Emission}]}`.
 * Rows of other price areas are skipped (the filter is in the query, but a proxy or the API may drop
 * it); rows whose `CO2Emission` is null are gaps, not errors. Values are g/kWh as published.
 */
export function edsPage (body: unknown, area: string, fail: Fail): EdsPage {
  if (!isObject(body)) return fail('body is not a JSON object')
  const { records, total } = body
  if (!Array.isArray(records)) return fail('"records" is not a list')
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) return fail(`"total" is not a count: ${JSON.stringify(total)}`)
  const points: IntensityPoint[] = []
  records.forEach((record: unknown, i) => {
    const path = `records[${i}]`
    if (!isObject(record)) return fail(`${path} is not an object`)
    if (typeof record.PriceArea !== 'string') return fail(`${path}.PriceArea is not a string`)
    if (record.PriceArea !== area) return
    const start = utc(record.Minutes5UTC, `${path}.Minutes5UTC`, fail)
    const value = record.CO2Emission
    if (value === null) return
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return fail(`${path}.CO2Emission is not a non-negative number: ${JSON.stringify(value)}`)
    }
    points.push({ start, end: start + ROW_MS, gPerKwh: value })
  })
  return { points, count: records.length, total }
}

function utc (text: unknown, path: string, fail: Fail): Instant {
  if (typeof text !== 'string' || !UTC_NO_ZONE.test(text)) return fail(`${path} is not a time like 2026-02-07T06:50:00: ${JSON.stringify(text)}`)
  const t = Date.parse(text.endsWith('Z') ? text : `${text}Z`)
  return Number.isFinite(t) ? t : fail(`${path} is not a real date: ${text}`)
}

/** Sorted by start, one point per start (pages and areas may repeat a row). */
export function uniqueSorted (points: readonly IntensityPoint[]): IntensityPoint[] {
  const byStart = new Map<Instant, IntensityPoint>()
  for (const p of points) byStart.set(p.start, p)
  return [...byStart.values()].sort((a, b) => a.start - b.start)
}

import type { Instant, Interval } from './types.js'

/** A report's time dimension: UTC calendar months, ISO weeks (Monday 00:00 UTC) or UTC days. */
export type TimeUnit = 'month' | 'week' | 'day'

/** A report's other dimensions: the attempt's pool or zone, the job's tenant, or one of the job's labels. */
export type GroupKey = 'pool' | 'zone' | 'tenant' | `label:${string}`

/** How report rows are keyed: at most one time dimension, and other dimensions in the order asked. */
export interface Grouping {
  time: TimeUnit | null
  keys: GroupKey[]
}

const TIME_UNITS: readonly string[] = ['month', 'week', 'day']
const KEYS: readonly string[] = ['pool', 'zone', 'tenant']
/** A label key as jobs may carry it (see the job schema's `labels`). */
const LABEL_KEY = /^[A-Za-z0-9_.:/-]{1,63}$/
/** More dimensions than this make rows no one can read; a time, pool, tenant and two labels fit. */
const MAX_DIMENSIONS = 5

/** What `groupBy` accepts, in words, for the 400 a bad one gets. */
export const GROUP_BY_HELP = 'month, week, day, pool, zone, tenant or label:<key>, joined with commas (at most one of month, week and day), e.g. month,label:team'

/** `groupBy` as given (`month,label:team`), or the problem with it in words. */
export function parseGrouping (text: string): { ok: true, grouping: Grouping } | { ok: false, problem: string } {
  const parts = text.split(',')
  const fail = (problem: string) => ({ ok: false as const, problem: `${problem}; use ${GROUP_BY_HELP}` })
  if (parts.length > MAX_DIMENSIONS) return fail(`has ${parts.length} dimensions, at most ${MAX_DIMENSIONS} are allowed`)
  let time: TimeUnit | null = null
  const keys: GroupKey[] = []
  for (const part of parts) {
    if (TIME_UNITS.includes(part)) {
      if (time !== null) return fail(`"${part}" and "${time}" are both time dimensions`)
      time = part as TimeUnit
    } else if (KEYS.includes(part) || (part.startsWith('label:') && LABEL_KEY.test(part.slice('label:'.length)))) {
      if (keys.includes(part as GroupKey)) return fail(`"${part}" is given twice`)
      keys.push(part as GroupKey)
    } else {
      const shown = part.length > 80 ? `${part.slice(0, 80)}…` : part
      return fail(part.startsWith('label:') ? `"${shown}" needs a label key of 1 to 63 letters, digits or _ . : / -` : `"${shown}" is not a dimension`)
    }
  }
  return { ok: true, grouping: { time, keys } }
}

const DAY_MS = 86_400_000

/** The start of the UTC period holding `t`. */
export function periodStart (unit: TimeUnit, t: Instant): Instant {
  const d = new Date(t)
  if (unit === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  // getUTCDay: Sunday 0 … Saturday 6; ISO weeks start on Monday.
  return unit === 'day' ? day : day - ((d.getUTCDay() + 6) % 7) * DAY_MS
}

/** The start of the period after the one starting at `start`. */
function nextStart (unit: TimeUnit, start: Instant): Instant {
  if (unit === 'day') return start + DAY_MS
  if (unit === 'week') return start + 7 * DAY_MS
  const d = new Date(start)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
}

/**
 * The report's time buckets: each period overlapping [from, to), clipped to it, in order; the
 * whole range as one bucket when there is no time dimension.
 */
export function buckets (unit: TimeUnit | null, from: Instant, to: Instant): Interval[] {
  if (unit === null) return [{ start: from, end: to }]
  const out: Interval[] = []
  for (let start = periodStart(unit, from); start < to; start = nextStart(unit, start)) {
    out.push({ start: Math.max(start, from), end: Math.min(nextStart(unit, start), to) })
  }
  return out
}

/** How many ms of [a.start, a.end) lie in [b.start, b.end). */
export function overlapMs (a: Interval, b: Interval): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start))
}

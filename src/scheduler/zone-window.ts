import { newestCovering, versionOf } from '../core/resample.js'
import { HOUR_MS, type Instant, type Interval, type Series } from '../core/types.js'
import type { FetchSummary, StoredPoint } from '../store/intensity.js'
import type { Extension, ForecastBuild } from './forecasts.js'

const DAY_MS = 24 * HOUR_MS

/**
 * A zone's forecast built once over a wide range [from, to) (`buildForecast`), with what it takes
 * to answer any narrower range inside it exactly as `forecastSeries` would, from memory.
 */
export interface ZoneWindow {
  from: Instant
  to: Instant
  /** The forecast over the whole range: the points every narrower answer shares. */
  series: Series
  /** The zone's newest forecast fetch; undefined for a zone planned on the model alone. */
  newest: FetchSummary | undefined
  /** The stored rows read, sorted by start: the ones straddling a narrower range's ends name sources. */
  rows: StoredPoint[]
  /** The longest row, ms: how far back a row containing an instant may start. */
  longestRowMs: number
  /** Where the stored forecast ends; undefined when nothing is stored in the range. */
  storedEnd: Instant | undefined
  /** What follows the stored forecast: the model or the week profile; undefined when neither could. */
  extension: Extension | undefined
  lastDay: Series | undefined
  /** Uncovered stretches of [from, storedEnd): a narrower range reaching one gets its own profile. */
  gaps: Interval[]
  /** Merged spans won by an older fetch than the newest read: a narrower range may put them on another grid. */
  older: Interval[]
  /** The source of the newest fetch read, which wins every span outside `older`. */
  newestSource: string
  /** The rows of the newest fetch read: their version is that of every span outside `older`. */
  newestRows: StoredPoint[]
}

/**
 * The window of a build over [from, to); undefined when it has no points (a first forecast is still
 * awaited and no history trains the model).
 */
export function zoneWindow (build: ForecastBuild, from: Instant, to: Instant): ZoneWindow | undefined {
  const { newest, stored } = build
  if ((newest === undefined && build.extension === undefined) || build.series.points.length === 0) return undefined
  const merged = stored.merged
  const newestAt = stored.rows.reduce((t, r) => Math.max(t, r.fetchedAt), -Infinity)
  const gaps: Interval[] = []
  let covered = from
  for (const p of merged) {
    if (p.start > covered) gaps.push({ start: covered, end: p.start })
    covered = Math.max(covered, p.end)
  }
  return {
    from,
    to,
    series: build.series,
    newest,
    rows: stored.rows,
    longestRowMs: stored.rows.reduce((m, r) => Math.max(m, r.end - r.start), 0),
    storedEnd: merged.at(-1)?.end,
    extension: build.extension,
    lastDay: build.lastDay,
    gaps,
    older: merged.filter(p => p.fetchedAt !== newestAt).map(p => ({ start: p.start, end: p.end })),
    newestSource: stored.rows.find(r => r.fetchedAt === newestAt)?.source ?? newest?.source ?? build.series.source,
    newestRows: stored.rows.filter(r => r.fetchedAt === newestAt).slice(0, 1)
  }
}

const overlaps = (spans: readonly Interval[], from: Instant, to: Instant): boolean => spans.some(s => s.start < to && s.end > from)

/**
 * The zone's forecast over [from, to) inside the window, as `forecastSeries(zone, from, to)` would
 * return it: the window's own points array (so the planner's prepared-series cache hits), with the
 * window's labels (every row read has them) and the narrower range's `source`, `version` and `fallbackFrom`. Undefined when the narrower read could differ
 * (a gap or an older fetch's span in the range, a too-thin week with less than a day of forecast
 * before the range): the caller reads that range itself.
 */
export function narrowed (w: ZoneWindow, from: Instant, to: Instant): Series | undefined {
  if (from < w.from || to > w.to || from >= to) return undefined
  const { zone, signal, gas, factorType } = w.series
  const base = { zone, signal, gas, factorType, ...(w.series.version === undefined ? {} : { version: w.series.version }) }
  const end = w.storedEnd
  const ext = w.extension
  const fallback = (at: Instant) => ext?.fallback === true ? { fallbackFrom: at } : {}
  if (end === undefined || w.newest === undefined) return ext !== undefined ? { ...base, source: ext.source, points: w.series.points, ...fallback(from) } : w.series
  if (overlaps(w.gaps, from, Math.min(to, end)) || overlaps(w.older, from, to)) return undefined
  const nothingStored = from >= end
  // With nothing stored in the range, `forecastSeries` anchors the profile at the newest fetch's end.
  if (nothingStored && w.newest.horizonEnd !== end) return undefined
  const before = containing(w, from)
  if (to <= end) return { ...base, ...label(w, from, to, before), points: w.series.points }
  if (ext === undefined) {
    if (nothingStored) return w.lastDay
    // The planner repeats the series' last day; a narrower read holds less of it when it starts later.
    return Math.min(from, ...before.map(r => r.start)) > end - DAY_MS ? undefined : { ...base, ...label(w, from, to, before), points: w.series.points }
  }
  if (nothingStored) {
    if (ext.fallback) return { ...base, source: ext.source, version: w.newest.version, points: w.series.points, fallbackFrom: Math.max(from, end) }
    return { zone, signal, gas, factorType, source: ext.source, points: w.series.points }
  }
  const read = label(w, from, to, before)
  return { ...base, source: `${read.source}+${ext.source}`, version: read.version, points: w.series.points, ...fallback(Math.max(from, end)) }
}

/** What a read of a range names: its sources, and the version of the rows it rests on. */
interface ReadLabel { source: string, version: string }

/**
 * The sources a read of [from, to) names, in order of first appearance, and its version (`versionOf`
 * of the same rows): the rows read overlap the
 * range, and those straddling `from` or `to` also win stretches outside it, which a read counts.
 * Remembered per window by where `from` and `to` fall among the rows' ends (`slot`): the label
 * changes only where a row starts or ends, so requests within the same stretch share it.
 */
function label (w: ZoneWindow, from: Instant, to: Instant, before: readonly StoredPoint[]): ReadLabel {
  const memo = memoOf(w)
  const key = `${slot(memo.bounds, from)}|${slot(memo.bounds, to)}`
  let read = memo.labels.get(key)
  if (read === undefined) {
    const head = newestCovering(before).filter(p => p.start < from)
    const inside = from < (w.storedEnd ?? from) ? w.newestRows : []
    const tail = newestCovering(containing(w, to)).filter(p => p.end > to)
    const rows = [...head, ...inside, ...tail]
    const sources = [...new Set(rows.map(p => p.source))]
    read = { source: sources.length > 0 ? sources.join('+') : w.newest?.source ?? w.newestSource, version: versionOf(rows) ?? w.newest?.version ?? '' }
    if (memo.labels.size >= 10_000) memo.labels.clear()
    memo.labels.set(key, read)
  }
  return read
}

interface LabelMemo { bounds: Float64Array, labels: Map<string, ReadLabel> }
const memos = new WeakMap<ZoneWindow, LabelMemo>()

function memoOf (w: ZoneWindow): LabelMemo {
  let memo = memos.get(w)
  if (memo === undefined) {
    const ends = new Set<number>()
    for (const r of w.rows) {
      ends.add(r.start)
      ends.add(r.end)
    }
    if (w.storedEnd !== undefined) ends.add(w.storedEnd)
    memo = { bounds: Float64Array.from([...ends].sort((a, b) => a - b)), labels: new Map() }
    memos.set(w, memo)
  }
  return memo
}

/** Where t falls among sorted `bounds`: 2i + 1 strictly between bounds[i] and bounds[i + 1], 2i exactly on bounds[i]. */
function slot (bounds: Float64Array, t: Instant): number {
  let lo = 0
  let hi = bounds.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (bounds[mid]! <= t) lo = mid + 1
    else hi = mid
  }
  // lo − 1 is the last bound ≤ t.
  return bounds[lo - 1] === t ? 2 * (lo - 1) : 2 * lo - 1
}

/** The rows with start < t < end. */
function containing (w: ZoneWindow, t: Instant): StoredPoint[] {
  const rows = w.rows
  let lo = 0
  let hi = rows.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (rows[mid]!.start < t) lo = mid + 1
    else hi = mid
  }
  const out: StoredPoint[] = []
  for (let i = lo - 1; i >= 0 && rows[i]!.start > t - w.longestRowMs - 1; i--) if (rows[i]!.end > t) out.push(rows[i]!)
  return out.reverse()
}

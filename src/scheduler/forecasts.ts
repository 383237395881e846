import { HOUR_MS, MINUTE_MS, type Instant, type Series, type Signal } from '../core/types.js'
import { insertIntensityPoints, newestFetch, pruneIntensityBefore, storedIntensity, type StoredIntensity } from '../store/intensity.js'
import { refreshActuals } from './actuals.js'
import { floorHour } from '../core/intervals.js'
import type { Deps } from './deps.js'
import { failureOf, observedFetch, refreshMsOf } from './fetch.js'
import { withWeekProfile } from './profile.js'

export { REFRESH_MS } from './fetch.js'

/** What greenshift last saw from a zone's provider. */
export interface ZoneStatus {
  lastAttemptAt: Instant
  lastSuccessAt: Instant | null
  lastError: string | null
  /** The fetch under way, which concurrent callers wait for instead of planning on nothing. */
  inflight?: Promise<number> | undefined
  /** When the tick last asked for the zone's recent actuals. */
  actualsAttemptAt?: Instant | undefined
}

/** After a failed fetch, requests wait this long before trying the provider again. */
const RETRY_MS = MINUTE_MS
/** A request waits at most this long for a provider; the tick allows longer. */
const REQUEST_TIMEOUT_MS = 5_000
const TICK_TIMEOUT_MS = 30_000
const DAY_MS = 24 * HOUR_MS


function statusOf (deps: Deps, zone: string): ZoneStatus {
  // Never tried yet: -Infinity, so the first call is never throttled as a retry.
  const status = deps.zoneStatus.get(zone) ?? { lastAttemptAt: Number.NEGATIVE_INFINITY, lastSuccessAt: null, lastError: null }
  deps.zoneStatus.set(zone, status)
  return status
}

/**
 * Fetches a zone's forecast from its provider (chain) and stores every point with `fetched_at = now`
 * and the answering provider's own signal and source, so greenshift can later say what it knew when
 * it planned. Never throws: an outage is recorded in `zoneStatus` and planning continues on what is
 * stored. Returns the number of points fetched.
 */
export async function refreshForecast (deps: Deps, zone: string, now: Instant, timeoutMs = TICK_TIMEOUT_MS): Promise<number> {
  return await oneAtATime(deps, zone, async status => await fetchAndStore(deps, zone, status, now, timeoutMs))
}

/**
 * Runs `work` for a zone unless a fetch is already under way, in which case its result is awaited:
 * deciding and fetching happen inside one promise, so concurrent callers never fetch twice.
 */
async function oneAtATime (deps: Deps, zone: string, work: (status: ZoneStatus) => Promise<number>): Promise<number> {
  const status = statusOf(deps, zone)
  if (status.inflight !== undefined) return await status.inflight
  status.inflight = work(status).finally(() => { status.inflight = undefined })
  return await status.inflight
}

/** Refreshes a zone's forecast when it is stale (and the provider was not just tried); else 0. */
export async function refreshIfStale (deps: Deps, zone: string, now: Instant, timeoutMs = TICK_TIMEOUT_MS): Promise<number> {
  return await oneAtATime(deps, zone, async status => await isStale(deps, zone, status, now) ? await fetchAndStore(deps, zone, status, now, timeoutMs) : 0)
}

async function fetchAndStore (deps: Deps, zone: string, status: ZoneStatus, now: Instant, timeoutMs: number): Promise<number> {
  status.lastAttemptAt = now
  const horizonMs = deps.config.planning.forecastHorizonHours * HOUR_MS
  const answer = await observedFetch(deps, zone, 'forecast', floorHour(now), now + horizonMs, timeoutMs)
  const series = answer?.series
  if (series === undefined) {
    status.lastError = failureOf(zone, answer)
    return 0
  }
  try {
    await insertIntensityPoints(deps.store.db, series.points.map(p => ({
      zone, start: p.start, end: p.end, gPerKwh: p.gPerKwh, kind: 'forecast' as const, signal: series.signal, source: series.source, fetchedAt: now
    })))
    status.lastSuccessAt = now
    status.lastError = null
    return series.points.length
  } catch (err) {
    status.lastError = err instanceof Error ? err.message : String(err)
    deps.log.warn({ zone, err: status.lastError }, 'storing the forecast failed')
    return 0
  }
}

/** Whether a zone's stored forecast is older than its refresh interval and the provider has not just been tried. */
async function isStale (deps: Deps, zone: string, status: ZoneStatus, now: Instant): Promise<boolean> {
  const newest = await newestFetch(deps.store.db, zone, 'forecast')
  if (newest !== undefined && now - newest.fetchedAt < refreshMsOf(deps, zone)) return false
  return status.lastSuccessAt === status.lastAttemptAt || now - status.lastAttemptAt >= RETRY_MS
}

/**
 * The tick's intensity step: refreshes every stale zone's forecast and, when due, its last 48 h of
 * actuals, all zones in parallel; then prunes rows older than `planning.retentionDays`. Returns how
 * many zones got a fresh forecast.
 */
export async function refreshStale (deps: Deps, now: Instant): Promise<number> {
  const zones = [...deps.providers.keys()]
  const fetched = await Promise.all(zones.map(async zone => {
    const points = await refreshIfStale(deps, zone, now)
    await refreshActuals(deps, zone, statusOf(deps, zone), now)
    return points
  }))
  await pruneIntensityBefore(deps.store.db, now - deps.config.planning.retentionDays * DAY_MS)
  return fetched.filter(n => n > 0).length
}

function toSeries (zone: string, stored: StoredIntensity, signal: Signal, fallbackSource: string): Series {
  return { zone, signal, source: stored.sources.length > 0 ? stored.sources.join('+') : fallbackSource, points: stored.points }
}

/**
 * The forecast to plan a zone on over [from, to), refreshed first when stale (waiting at most 5 s
 * for the provider), as stored: every fetch merged and put on one grid (see `storedIntensity`). Only rows of the newest fetch's signal are used, so a fall from a marginal to
 * an average provider never mixes the two. Without fresh data this is the last good stored
 * forecast; beyond its end, the labelled same-hour-last-week profile (see `withWeekProfile`); when
 * the stored week is too thin, the last known day, which the planner's labelled fallback repeats.
 * Empty (never throws) when nothing was ever known.
 */
export async function forecastSeries (deps: Deps, zone: string, from: Instant, to: Instant, now: Instant): Promise<Series> {
  await refreshIfStale(deps, zone, now, REQUEST_TIMEOUT_MS)
  const db = deps.store.db
  const newest = await newestFetch(db, zone, 'forecast')
  if (newest === undefined) {
    const provider = deps.providers.get(zone)
    return { zone, signal: provider?.signal ?? 'average', source: provider?.id ?? 'none', points: [] }
  }
  const stored = await storedIntensity(db, zone, 'forecast', from, to, newest.signal)
  const series = await withWeekProfile(db, zone, toSeries(zone, stored, newest.signal, newest.source), from, to, newest.horizonEnd)
  if (series.points.length > 0) return series
  const lastDay = await storedIntensity(db, zone, 'forecast', newest.horizonEnd - DAY_MS, newest.horizonEnd, newest.signal)
  return toSeries(zone, lastDay, newest.signal, newest.source)
}

/**
 * Actual intensity for a zone over [from, to), from its provider (chain); when every provider
 * fails, the stored actuals of the newest stored signal. Reading never writes: actuals are stored
 * by the tick.
 */
export async function actualSeries (deps: Deps, zone: string, from: Instant, to: Instant): Promise<Series> {
  const answer = await observedFetch(deps, zone, 'actuals', from, to, REQUEST_TIMEOUT_MS)
  if (answer?.series !== undefined) return answer.series
  const provider = deps.providers.get(zone)
  const newest = await newestFetch(deps.store.db, zone, 'actual')
  const signal = newest?.signal ?? provider?.signal ?? 'average'
  return toSeries(zone, await storedIntensity(deps.store.db, zone, 'actual', from, to, signal), signal, provider?.id ?? 'none')
}

import { HOUR_MS, MINUTE_MS, type Instant, type Series, type Signal } from '../core/types.js'
import { insertIntensityPoints, latestPoints, newestFetch, pruneIntensityBefore, type StoredPoint } from '../store/intensity.js'
import type { Deps } from './deps.js'

/** What greenshift last saw from a zone's provider. */
export interface ZoneStatus {
  lastAttemptAt: Instant
  lastSuccessAt: Instant | null
  lastError: string | null
  /** The fetch under way, which concurrent callers wait for instead of planning on nothing. */
  inflight?: Promise<number> | undefined
}

/** Forecasts older than this are fetched again (the 15–60 minute band). */
export const REFRESH_MS = 30 * MINUTE_MS
/** After a failed fetch, requests wait this long before trying the provider again. */
const RETRY_MS = MINUTE_MS
/** A request waits at most this long for a provider; the tick allows longer. */
const REQUEST_TIMEOUT_MS = 5_000
const TICK_TIMEOUT_MS = 30_000
/** Intensity rows ending longer ago than this are pruned by the tick. */
export const RETENTION_MS = 14 * 24 * HOUR_MS

function floorHour (t: Instant): Instant {
  return Math.floor(t / HOUR_MS) * HOUR_MS
}

/**
 * Fetches a zone's forecast from its provider and stores every point with `fetched_at = now`, so
 * greenshift can later say what it knew when it planned. Never throws: an outage is recorded in
 * `zoneStatus` and planning continues on what is stored. Returns the number of points fetched.
 */
export async function refreshForecast (deps: Deps, zone: string, now: Instant, timeoutMs = TICK_TIMEOUT_MS): Promise<number> {
  const status: ZoneStatus = deps.zoneStatus.get(zone) ?? { lastAttemptAt: now, lastSuccessAt: null, lastError: null }
  deps.zoneStatus.set(zone, status)
  if (status.inflight !== undefined) return await status.inflight
  status.lastAttemptAt = now
  status.inflight = fetchAndStore(deps, zone, status, now, timeoutMs).finally(() => { status.inflight = undefined })
  return await status.inflight
}

async function fetchAndStore (deps: Deps, zone: string, status: ZoneStatus, now: Instant, timeoutMs: number): Promise<number> {
  const provider = deps.providers.get(zone)
  if (provider === undefined) {
    status.lastError = `no provider configured for zone ${zone}`
    return 0
  }
  const horizonMs = deps.config.planning.forecastHorizonHours * HOUR_MS
  try {
    const series = await provider.forecast(zone, floorHour(now), now + horizonMs, AbortSignal.timeout(timeoutMs))
    if (series.points.length === 0) throw new Error(`${provider.id} returned no forecast points after ${new Date(now).toISOString()}`)
    const inserted = await insertIntensityPoints(deps.store.db, series.points.map(p => ({
      zone, start: p.start, end: p.end, gPerKwh: p.gPerKwh, kind: 'forecast' as const,
      signal: series.signal, source: series.source, fetchedAt: now
    })))
    status.lastSuccessAt = now
    status.lastError = null
    deps.log.info({ provider: provider.id, zone, points: series.points.length, inserted }, 'forecast fetched')
    return series.points.length
  } catch (err) {
    status.lastError = err instanceof Error ? err.message : String(err)
    deps.log.warn({ provider: provider.id, zone, err: status.lastError }, 'forecast fetch failed')
    return 0
  }
}

/** Whether a zone's stored forecast is stale and the provider has not just been tried. */
export async function needsRefresh (deps: Deps, zone: string, now: Instant): Promise<boolean> {
  const status = deps.zoneStatus.get(zone)
  if (status?.inflight !== undefined) return true
  const newest = await newestFetch(deps.store.db, zone, 'forecast')
  if (newest !== undefined && now - newest.fetchedAt < REFRESH_MS) return false
  return status === undefined || status.lastSuccessAt === status.lastAttemptAt || now - status.lastAttemptAt >= RETRY_MS
}

/** Refreshes every stale zone in parallel and prunes old rows; the tick's forecast step. */
export async function refreshStale (deps: Deps, now: Instant): Promise<number> {
  const zones = [...deps.providers.keys()]
  const fetched = await Promise.all(zones.map(async zone => await needsRefresh(deps, zone, now) ? await refreshForecast(deps, zone, now) : 0))
  await pruneIntensityBefore(deps.store.db, now - RETENTION_MS)
  return fetched.filter(n => n > 0).length
}

function toSeries (zone: string, rows: StoredPoint[], fallbackSignal: Signal, fallbackSource: string): Series {
  const sources = [...new Set(rows.map(r => r.source))]
  return {
    zone,
    signal: rows[0]?.signal ?? fallbackSignal,
    source: sources.length > 0 ? sources.join('+') : fallbackSource,
    points: rows.map(r => ({ start: r.start, end: r.end, gPerKwh: r.gPerKwh }))
  }
}

/**
 * The newest known forecast for a zone over [from, to), refreshed first when stale (waiting at most
 * 5 s for the provider). When nothing covers the window, the last known day is returned so the
 * planner's labelled fallback can extend it. Empty (never throws) when nothing was ever known.
 */
export async function forecastSeries (deps: Deps, zone: string, from: Instant, to: Instant, now: Instant): Promise<Series> {
  if (await needsRefresh(deps, zone, now)) await refreshForecast(deps, zone, now, REQUEST_TIMEOUT_MS)
  let rows = await latestPoints(deps.store.db, zone, 'forecast', from, to)
  if (rows.length === 0) {
    const newest = await newestFetch(deps.store.db, zone, 'forecast')
    if (newest !== undefined) rows = await latestPoints(deps.store.db, zone, 'forecast', newest.horizonEnd - 24 * HOUR_MS, newest.horizonEnd)
  }
  const provider = deps.providers.get(zone)
  return toSeries(zone, rows, provider?.signal ?? 'average', provider?.id ?? 'none')
}

/**
 * Actual intensity for a zone over [from, to), straight from its provider; on a provider failure,
 * whatever actuals are stored. Reading never writes: actuals are stored by the ledger.
 */
export async function actualSeries (deps: Deps, zone: string, from: Instant, to: Instant): Promise<Series> {
  const provider = deps.providers.get(zone)
  if (provider !== undefined) {
    try {
      return await provider.actuals(zone, from, to, AbortSignal.timeout(REQUEST_TIMEOUT_MS))
    } catch (err) {
      deps.log.warn({ provider: provider.id, zone, err: err instanceof Error ? err.message : String(err) }, 'actuals fetch failed')
    }
  }
  const rows = await latestPoints(deps.store.db, zone, 'actual', from, to)
  return toSeries(zone, rows, provider?.signal ?? 'average', provider?.id ?? 'none')
}

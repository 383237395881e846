import { HOUR_MS, MINUTE_MS, type Instant, type Series } from '../core/types.js'
import { insertIntensityPoints, latestPoints, newestFetch } from '../store/intensity.js'
import type { Deps } from './deps.js'

/** What greenshift last saw from a zone's provider. */
export interface ZoneStatus {
  lastAttemptAt: Instant
  lastSuccessAt: Instant | null
  lastError: string | null
}

/** Forecasts older than this are fetched again before planning (the 15–60 minute band). */
const REFRESH_MS = 30 * MINUTE_MS

function floorHour (t: Instant): Instant {
  return Math.floor(t / HOUR_MS) * HOUR_MS
}

/**
 * Fetches a zone's forecast from its provider and stores every point with `fetched_at = now`, so
 * greenshift can later say what it knew when it planned. Never throws: an outage is recorded in
 * `zoneStatus` and planning continues on what is stored.
 */
export async function refreshForecast (deps: Deps, zone: string, now: Instant): Promise<number> {
  const provider = deps.providers.get(zone)
  const status: ZoneStatus = deps.zoneStatus.get(zone) ?? { lastAttemptAt: now, lastSuccessAt: null, lastError: null }
  status.lastAttemptAt = now
  deps.zoneStatus.set(zone, status)
  if (provider === undefined) {
    status.lastError = `no provider configured for zone ${zone}`
    return 0
  }
  const started = Date.now()
  try {
    const horizonMs = deps.config.planning.forecastHorizonHours * HOUR_MS
    const series = await provider.forecast(zone, floorHour(now), now + horizonMs, AbortSignal.timeout(30_000))
    const rows = series.points.map(p => ({
      zone, start: p.start, end: p.end, gPerKwh: p.gPerKwh, kind: 'forecast' as const,
      signal: series.signal, source: series.source, fetchedAt: now
    }))
    const inserted = await insertIntensityPoints(deps.store.db, rows)
    status.lastSuccessAt = now
    status.lastError = null
    deps.log.info({ provider: provider.id, zone, points: rows.length, inserted, ms: Date.now() - started }, 'forecast fetched')
    return rows.length
  } catch (err) {
    status.lastError = err instanceof Error ? err.message : String(err)
    deps.log.warn({ provider: provider.id, zone, err: status.lastError, ms: Date.now() - started }, 'forecast fetch failed')
    return 0
  }
}

/**
 * The newest known forecast for a zone over [from, to), refreshed first when the stored one is older
 * than 30 minutes. Returns an empty series (never throws) when nothing is known; the planner then
 * reports `no-intensity-data` and the job waits as `pending`.
 */
export async function forecastSeries (deps: Deps, zone: string, from: Instant, to: Instant, now: Instant): Promise<Series> {
  const newest = await newestFetch(deps.store.db, zone, 'forecast')
  if (newest === undefined || now - newest.fetchedAt >= REFRESH_MS) await refreshForecast(deps, zone, now)
  const rows = await latestPoints(deps.store.db, zone, 'forecast', from, to)
  const provider = deps.providers.get(zone)
  const sources = [...new Set(rows.map(r => r.source))]
  return {
    zone,
    signal: rows[0]?.signal ?? provider?.signal ?? 'average',
    source: sources.length > 0 ? sources.join('+') : (provider?.id ?? 'none'),
    points: rows.map(r => ({ start: r.start, end: r.end, gPerKwh: r.gPerKwh }))
  }
}

/**
 * Actual intensity for a zone over [from, to), fetched from its provider and stored as `actual`
 * rows; on a provider failure, whatever actuals are already stored.
 */
export async function actualSeries (deps: Deps, zone: string, from: Instant, to: Instant, now: Instant): Promise<Series> {
  const provider = deps.providers.get(zone)
  if (provider !== undefined) {
    try {
      const series = await provider.actuals(zone, from, to, AbortSignal.timeout(30_000))
      await insertIntensityPoints(deps.store.db, series.points.map(p => ({
        zone, start: p.start, end: p.end, gPerKwh: p.gPerKwh, kind: 'actual' as const,
        signal: series.signal, source: series.source, fetchedAt: now
      })))
    } catch (err) {
      deps.log.warn({ provider: provider.id, zone, err: err instanceof Error ? err.message : String(err) }, 'actuals fetch failed')
    }
  }
  const rows = await latestPoints(deps.store.db, zone, 'actual', from, to)
  return {
    zone,
    signal: rows[0]?.signal ?? provider?.signal ?? 'average',
    source: [...new Set(rows.map(r => r.source))].join('+') || (provider?.id ?? 'none'),
    points: rows.map(r => ({ start: r.start, end: r.end, gPerKwh: r.gPerKwh }))
  }
}

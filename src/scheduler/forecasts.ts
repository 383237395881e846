import { floorHour } from '../core/intervals.js'
import { coveredMs } from '../core/ledger.js'
import { labelsOf, type Labels } from '../core/ledger-price.js'
import { HOUR_MS, MINUTE_MS, type Instant, type Series, type Signal } from '../core/types.js'
import { untilAborted } from '../providers/abort.js'
import { insertIntensityPoints, intensityRows, newestFetch, pruneIntensityBefore, storedIntensity, type FetchSummary, type StoredIntensity } from '../store/intensity.js'
import { providerLabels } from '../providers/provider.js'
import { refreshActuals } from './actuals.js'
import type { Deps } from './deps.js'
import { budgetsOf, failureOf, observedFetch, refreshMsOf } from './fetch.js'
import { MODEL_HISTORY_DAYS, withModelForecast } from './model-forecast.js'
import type { Seam } from '../forecast/extend.js'
import { PROFILE_SOURCE, withWeekProfile } from './profile.js'
import type { Db } from '../store/schema.js'
import { forgetZones } from './zone-cache.js'
import { errorMessage } from '../errors.js'

export { REFRESH_MS } from './fetch.js'

/** What greenshift last saw from a zone's provider. */
export interface ZoneStatus {
  lastAttemptAt: Instant
  lastSuccessAt: Instant | null
  lastError: string | null
  /** The fetch under way, which the tick and requests with nothing stored join instead of fetching again. */
  inflight?: Promise<number> | undefined
  /** When the tick last asked for the zone's recent actuals. */
  actualsAttemptAt?: Instant | undefined
}

/** After a failed fetch, the provider is not asked again for this long (by the tick or a request). */
const RETRY_MS = MINUTE_MS
const DAY_MS = 24 * HOUR_MS

function statusOf (deps: Deps, zone: string): ZoneStatus {
  // Never tried yet: -Infinity, so the first call is never throttled as a retry.
  const status = deps.zoneStatus.get(zone) ?? { lastAttemptAt: Number.NEGATIVE_INFINITY, lastSuccessAt: null, lastError: null }
  deps.zoneStatus.set(zone, status)
  return status
}

/**
 * Fetches a zone's forecast from its provider (chain) within the tick's budget and stores every
 * point with `fetched_at = now` and the answering provider's own signal, gas, factor type, source
 * and version (`intensityRows`), so greenshift can later say what it knew when it planned. Never throws: an outage is recorded in `zoneStatus`
 * and planning continues on what is stored. Returns the number of points fetched.
 */
export async function refreshForecast (deps: Deps, zone: string, now: Instant): Promise<number> {
  return await oneAtATime(deps, zone, async status => await fetchAndStore(deps, zone, status, now, budgetsOf(deps).tickMs))
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

/** Refreshes a zone's forecast within the tick's budget when it is stale (and the provider was not just tried); else 0. */
export async function refreshIfStale (deps: Deps, zone: string, now: Instant): Promise<number> {
  return await oneAtATime(deps, zone, async status =>
    await isStale(deps, zone, status, now) ? await fetchAndStore(deps, zone, status, now, budgetsOf(deps).tickMs) : 0)
}

async function fetchAndStore (deps: Deps, zone: string, status: ZoneStatus, now: Instant, chainMs: number): Promise<number> {
  status.lastAttemptAt = now
  const horizonMs = deps.config.planning.forecastHorizonHours * HOUR_MS
  const answer = await observedFetch(deps, zone, 'forecast', floorHour(now), now + horizonMs, chainMs)
  const series = answer?.series
  if (series === undefined) {
    status.lastError = failureOf(zone, answer)
    return 0
  }
  try {
    await insertIntensityPoints(deps.store.db, intensityRows(zone, 'forecast', series, series.points, now))
    status.lastSuccessAt = now
    status.lastError = null
    // Other replicas see the zone's version move; this one need not read it to know.
    forgetZones(deps, [zone])
    return series.points.length
  } catch (err) {
    status.lastError = errorMessage(err)
    deps.log.warn({ zone, err: status.lastError }, 'storing the forecast failed')
    return 0
  }
}

/** False for a minute after a failed fetch: a provider that just failed is not asked again at once. */
function mayAsk (status: ZoneStatus, now: Instant): boolean {
  return status.lastSuccessAt === status.lastAttemptAt || now - status.lastAttemptAt >= RETRY_MS
}

/** Whether a zone's stored forecast is older than its refresh interval and the provider has not just been tried. */
async function isStale (deps: Deps, zone: string, status: ZoneStatus, now: Instant): Promise<boolean> {
  const newest = await newestFetch(deps.store.db, zone, 'forecast')
  if (newest !== undefined && now - newest.fetchedAt < refreshMsOf(deps, zone)) return false
  return mayAsk(status, now)
}

/**
 * The tick's intensity step: refreshes every stale zone's forecast and, when due, its last 48 h of
 * actuals, all zones and both kinds in parallel (so a hanging provider costs the pass one chain
 * budget, 30 s, not two); then prunes forecasts older than `planning.retentionDays`, and actuals
 * older than that or 35 days, whichever is longer (the model trains on them). Returns how many
 * zones got a fresh forecast.
 */
export async function refreshStale (deps: Deps, now: Instant): Promise<number> {
  const zones = [...deps.providers.keys()]
  const fetched = await Promise.all(zones.map(async zone => {
    const [points] = await Promise.all([refreshIfStale(deps, zone, now), refreshActuals(deps, zone, statusOf(deps, zone), now)])
    return points
  }))
  // Actuals are kept at least as long as greenshift's model trains on them.
  const keep = deps.config.planning.retentionDays * DAY_MS
  await pruneIntensityBefore(deps.store.db, now - keep, now - Math.max(keep, MODEL_HISTORY_DAYS * DAY_MS))
  return fetched.filter(n => n > 0).length
}

/**
 * Stored intensity as a series: its source the sources of the points kept (`fallbackSource` when
 * none), its labels those read (`labels`, a bare signal taking its defaults, when nothing was read)
 * and its version that of the points kept (see `versionOf`).
 */
export function toSeries (zone: string, stored: StoredIntensity, labels: Signal | Labels, fallbackSource: string): Series {
  const { signal, gas, factorType } = stored.labels ?? labelsOf(typeof labels === 'string' ? { signal: labels } : labels)
  const version = stored.version === undefined ? {} : { version: stored.version }
  return { zone, signal, gas, factorType, source: stored.sources.length > 0 ? stored.sources.join('+') : fallbackSource, ...version, points: stored.points }
}

/**
 * With nothing stored for a zone yet, a request waits for a first forecast, at most `requestMs`
 * (5 s): for its own fetch, on that chain budget, or for the fetch under way (the tick's may take
 * 30 s) until then. A provider that failed within the last minute is not asked again.
 */
async function awaitFirstForecast (deps: Deps, zone: string, now: Instant): Promise<void> {
  const { requestMs, timeout } = budgetsOf(deps)
  const status = statusOf(deps, zone)
  const underway = status.inflight
  if (underway !== undefined) {
    await untilAborted(underway, timeout(requestMs)).catch(() => undefined)
  } else if (mayAsk(status, now)) {
    await oneAtATime(deps, zone, async s => await fetchAndStore(deps, zone, s, now, requestMs))
  }
}

/**
 * The forecast to plan a zone on over [from, to), as stored: every fetch merged and put on one grid
 * (see `storedIntensity`). A request never waits for the provider when anything is stored, however
 * old (the tick refreshes it); with nothing stored yet it waits 5 s at most (`awaitFirstForecast`).
 * Only rows of the newest fetch's signal are used, so a fall from a marginal to an average provider
 * never mixes the two. Beyond the stored forecast's end comes greenshift's own forecast, trained on
 * the zone's stored actuals (`withModelForecast`); with too little history for it, the labelled
 * same-hour-last-week profile (see `withWeekProfile`); when the stored week is too thin for that too,
 * the last known day, which the planner's labelled fallback repeats. A zone whose provider never
 * gave a forecast is planned on the model alone. Empty (never throws) when nothing was ever known.
 */
export async function forecastSeries (deps: Deps, zone: string, from: Instant, to: Instant, now: Instant): Promise<Series> {
  return (await buildForecast(deps, zone, from, to, now, false)).series
}

/** `forecastSeries` with what it was built from, so the zone cache can answer narrower ranges. */
export interface ForecastBuild {
  series: Series
  /** The zone's newest forecast fetch; undefined when none is stored. */
  newest: FetchSummary | undefined
  /** The stored forecast over [from, to), before the profile. */
  stored: StoredIntensity
  /**
   * What extends the stored forecast to `to`, if anything: greenshift's model (no fallback) or,
   * when the stored history is too thin for it, the same-hour-last-week profile (a fallback).
   */
  extension: Extension | undefined
  /**
   * The last known day, when the stored week is too thin for the profile and the stored forecast
   * ends before `to`: always when the series is empty (it is then the series), else with `withLastDay`.
   */
  lastDay: Series | undefined
}

/** How the part of a forecast past the stored one is labelled: its source, and whether it is a fallback. */
export interface Extension { source: string, fallback: boolean }

/** Builds `forecastSeries` over [from, to); with `withLastDay`, reads the last known day whenever it could be needed. */
export async function buildForecast (deps: Deps, zone: string, from: Instant, to: Instant, now: Instant, withLastDay: boolean): Promise<ForecastBuild> {
  const db = deps.store.db
  let newest = await newestFetch(db, zone, 'forecast')
  if (newest === undefined) {
    await awaitFirstForecast(deps, zone, now)
    newest = await newestFetch(db, zone, 'forecast')
  }
  if (newest === undefined) {
    // No forecast was ever stored (the chain gives none): the model alone, from the zone's actuals.
    const provider = deps.providers.get(zone)
    const empty = { zone, ...providerLabels(provider), source: provider?.id ?? 'none', points: [] }
    const modelled = await withModelForecast(db, zone, empty, from, to)
    const extension = modelled === undefined ? undefined : { source: modelled.source, fallback: false }
    return { series: modelled?.series ?? empty, newest, stored: { points: [], sources: [], labels: undefined, version: undefined, rows: [], merged: [] }, extension, lastDay: undefined }
  }
  const labels = labelsOf(newest)
  const stored = await storedIntensity(db, zone, 'forecast', from, to, labels)
  const plain = { ...toSeries(zone, stored, labels, newest.source), ...(stored.version === undefined ? { version: newest.version } : {}) }
  const { series, extension } = await extended(db, zone, plain, from, to, newest.horizonEnd)
  const thin = extension === undefined && Math.max(from, stored.points.at(-1)?.end ?? from) < to
  const lastDay = thin && (withLastDay || series.points.length === 0)
    ? toSeries(zone, await storedIntensity(db, zone, 'forecast', newest.horizonEnd - DAY_MS, newest.horizonEnd, labels), labels, newest.source)
    : undefined
  return { series: series.points.length > 0 || lastDay === undefined ? series : lastDay, newest, stored, extension, lastDay }
}

/**
 * The stored forecast extended to `to`: by greenshift's model where the zone's stored actuals
 * train it, else by the same-hour-last-week profile where the stored week is full enough.
 */
async function extended (db: Db, zone: string, plain: Series, from: Instant, to: Instant, dataEnd: Instant): Promise<{ series: Series, extension: Extension | undefined }> {
  // A range starting after the stored forecast still joins the model to its last value, as a wider read would.
  const seam = plain.points.length === 0 && from >= dataEnd ? await seamAt(db, zone, plain, dataEnd) : undefined
  const modelled = await withModelForecast(db, zone, plain, from, to, seam)
  if (modelled !== undefined) return { series: modelled.series, extension: { source: modelled.source, fallback: false } }
  const series = await withWeekProfile(db, zone, plain, from, to, dataEnd)
  return { series, extension: series === plain ? undefined : { source: PROFILE_SOURCE, fallback: true } }
}

/** The stored forecast's value in its last hour before `end`, when a point ends exactly there. */
async function seamAt (db: Db, zone: string, plain: Series, end: Instant): Promise<Seam | undefined> {
  const last = (await storedIntensity(db, zone, 'forecast', end - HOUR_MS, end, labelsOf(plain))).points.at(-1)
  return last !== undefined && last.end === end ? { at: end, gPerKwh: last.gPerKwh } : undefined
}

/**
 * Actual intensity for a zone over [from, to): the stored actuals of the newest stored labels
 * (signal, gas, factor type), on one grid, when they cover it; else what the provider chain answers
 * within `requestMs` (5 s), its fetch time the version of an API's answer; when every provider
 * fails, the stored ones. Reading never writes: actuals are stored by the tick.
 */
export async function actualSeries (deps: Deps, zone: string, from: Instant, to: Instant): Promise<Series> {
  const db = deps.store.db
  const provider = deps.providers.get(zone)
  const newest = await newestFetch(db, zone, 'actual')
  const labels = newest === undefined ? providerLabels(provider) : labelsOf(newest)
  const stored = toSeries(zone, await storedIntensity(db, zone, 'actual', from, to, labels), labels, provider?.id ?? 'none')
  if (coveredMs(stored.points, { start: from, end: to }, to) >= to - from) return stored
  const answer = await observedFetch(deps, zone, 'actuals', from, to, budgetsOf(deps).requestMs)
  if (answer?.series === undefined) return stored
  const fetched = answer.series
  return { ...fetched, ...labelsOf(fetched), version: fetched.version ?? new Date(answer.at ?? to).toISOString() }
}

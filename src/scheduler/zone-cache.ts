import { prepare } from '../core/series.js'
import { HOUR_MS, type Instant, type Series } from '../core/types.js'
import type { Store } from '../store/db.js'
import { perStore } from '../store/per-store.js'
import { zoneVersions } from '../store/zone-versions.js'
import type { Deps } from './deps.js'
import { buildForecast, forecastSeries } from './forecasts.js'
import { narrowed, zoneWindow, type ZoneWindow } from './zone-window.js'

/**
 * How far ahead an entry is built: deadlines are at most 31 days ahead (`MAX_DEADLINE_AHEAD_MS`),
 * so an entry serves every request for a day before a later deadline needs a rebuild.
 */
const WIDE_MS = 32 * 24 * HOUR_MS

/** A zone's forecast as of one version of its stored intensity. */
interface Entry {
  version: string
  window: ZoneWindow
}

/**
 * A finished build: its entry, or without one (no points: nothing stored and no first forecast
 * yet) its empty series, which is the same for every range.
 */
interface Built {
  entry: Entry | undefined
  empty?: Series
  version: string
}

/** A build under way, which concurrent requests for the same version and range join. */
interface Build {
  version: string | undefined
  from: Instant
  to: Instant
  done: Promise<Built>
}

interface ZoneCache {
  entries: Map<string, Entry>
  building: Map<string, Build>
  /** Bumped by `forgetZones`: a build started before it does not keep its result. */
  forgotten: Map<string, number>
}

const caches = perStore((): ZoneCache => ({ entries: new Map(), building: new Map(), forgotten: new Map() }))

/** A zone's forecast over [from, to) and the version of the stored intensity it was built from. */
export interface CachedForecast {
  series: Series
  version: string
}

/**
 * The zone's forecast over [from, to), as `forecastSeries` returns it, from memory when an entry
 * covers the range: no intensity query. With `version`, an entry built at an older version is
 * rebuilt; without, a cached entry is trusted (the caller checks the version later). Entries are
 * built over [now, now + 32 d), once per zone however many requests miss at the same time. The
 * series has been through `prepare` (so a malformed one throws here, for this zone alone).
 */
export async function cachedForecast (deps: Deps, zone: string, from: Instant, to: Instant, now: Instant, version?: string): Promise<CachedForecast> {
  const cache = caches.of(deps.store)
  const entry = cache.entries.get(zone)
  const fits = entry !== undefined && (version === undefined || atLeast(entry.version, version)) && from >= entry.window.from && to <= entry.window.to
  const built = fits ? { entry, version: entry.version } : await rebuild(deps, cache, zone, from, to, now, version)
  if (built.empty !== undefined) return { series: built.empty, version: built.version }
  const series = built.entry === undefined ? undefined : narrowed(built.entry.window, from, to)
  if (series !== undefined) return { series, version: built.version }
  const read = await forecastSeries(deps, zone, from, to, now)
  prepare(read)
  return { series: read, version: built.version }
}

/** Versions come from one sequence: an entry built at a later version than asked for is newer still. */
const atLeast = (have: string, want: string): boolean => BigInt(have) >= BigInt(want)

async function rebuild (deps: Deps, cache: ZoneCache, zone: string, from: Instant, to: Instant, now: Instant, version: string | undefined): Promise<Built> {
  const underway = cache.building.get(zone)
  if (underway !== undefined && (version === undefined || underway.version === version) && from >= underway.from && to <= underway.to) {
    return await underway.done
  }
  const wideFrom = Math.min(from, now)
  const wideTo = Math.max(to, now + WIDE_MS)
  const generation = cache.forgotten.get(zone) ?? 0
  const done = (async (): Promise<Built> => {
    // Read before the rows: a refresh landing in between leaves the entry older than its version, never newer.
    const at = version ?? (await zoneVersions(deps.store.db, [zone])).get(zone) ?? '0'
    const build = await buildForecast(deps, zone, wideFrom, wideTo, now, true)
    const window = zoneWindow(build, wideFrom, wideTo)
    if (window === undefined) return { entry: undefined, empty: build.series, version: at }
    prepare(window.series)
    const entry = { version: at, window }
    if ((cache.forgotten.get(zone) ?? 0) === generation) cache.entries.set(zone, entry)
    return { entry, version: at }
  })()
  const build = { version, from: wideFrom, to: wideTo, done }
  cache.building.set(zone, build)
  try {
    return await done
  } finally {
    if (cache.building.get(zone) === build) cache.building.delete(zone)
  }
}

/** Drops the zones' entries, for a caller that learnt they are stale (a refresh of its own, a version moved). */
export function forgetZones (deps: Pick<Deps, 'store'>, zones: Iterable<string>): void {
  const cache = caches.of(deps.store)
  for (const zone of zones) {
    cache.entries.delete(zone)
    cache.building.delete(zone)
    cache.forgotten.set(zone, (cache.forgotten.get(zone) ?? 0) + 1)
  }
}

/** Forgets every zone of a store (tests, between cases). */
export function resetZoneCache (store: Store): void {
  caches.forget(store)
}

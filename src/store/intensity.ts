import type { Insertable } from 'kysely'
import { newestCovering, newestGrid, resample } from '../core/resample.js'
import type { Instant, IntensityPoint, Signal } from '../core/types.js'
import { toDate, toInstant } from './convert.js'
import type { Db, IntensityKind, IntensityPointsTable } from './schema.js'
import { changeAndBump } from './zone-versions.js'

export type { IntensityKind } from './schema.js'

/** One fetched point as stored: gCO2e/kWh over [start, end), with where and when it came from. */
export interface IntensityRow {
  zone: string
  start: Instant
  end: Instant
  gPerKwh: number
  kind: IntensityKind
  signal: Signal
  source: string
  fetchedAt: Instant
}

/** A stored row as read back: the newest fetch for its span, with when it was fetched. */
export interface StoredPoint {
  start: Instant
  end: Instant
  gPerKwh: number
  signal: Signal
  source: string
  fetchedAt: Instant
}

/** 9 parameters a row: 1000 rows stay far below PostgreSQL's 65535 bind parameters. */
const BATCH_ROWS = 1000

/**
 * Stores points, skipping any already stored for the same (zone, kind, source, start, fetchedAt),
 * so a retried fetch is harmless. Each statement bumps the version of the zones it added rows to
 * (see `zoneVersions`). Returns how many rows were new.
 */
export async function insertIntensityPoints (db: Db, rows: readonly IntensityRow[]): Promise<number> {
  let inserted = 0
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    const values = rows.slice(i, i + BATCH_ROWS).map(toRow)
    inserted += await changeAndBump(db, db.insertInto('intensity_points').values(values)
      .onConflict((oc) => oc.columns(['zone', 'kind', 'source', 'start_at', 'fetched_at']).doNothing())
      .returning('zone'))
  }
  return inserted
}

function toRow (r: IntensityRow): Insertable<IntensityPointsTable> {
  return {
    zone: r.zone,
    start_at: toDate(r.start),
    end_at: toDate(r.end),
    g_per_kwh: r.gPerKwh,
    kind: r.kind,
    signal: r.signal,
    source: r.source,
    fetched_at: toDate(r.fetchedAt)
  }
}

/**
 * The points of a zone overlapping [from, to), the newest row (last fetched, any source) for each
 * span (start and end): the candidates `newestCovering` merges. One fetch stores one series, so the
 * newest fetch covering an instant always keeps its row here. Sorted by start. With `signal`, only
 * rows of that signal: planning never merges an average and a marginal series, even when a fallback
 * chain stored both for the same hours.
 */
export async function latestPoints (db: Db, zone: string, kind: IntensityKind, from: Instant, to: Instant, signal?: Signal): Promise<StoredPoint[]> {
  const rows = await db.selectFrom('intensity_points')
    .distinctOn(['start_at', 'end_at'])
    .select(['start_at', 'end_at', 'g_per_kwh', 'signal', 'source', 'fetched_at'])
    .where('zone', '=', zone)
    .where('kind', '=', kind)
    .$if(signal !== undefined, (q) => q.where('signal', '=', signal as Signal))
    .where('start_at', '<', toDate(to))
    .where('end_at', '>', toDate(from))
    .orderBy('start_at')
    .orderBy('end_at')
    .orderBy('fetched_at', 'desc')
    .orderBy('id', 'desc')
    .execute()
  return rows.map((r) => ({
    start: toInstant(r.start_at),
    end: toInstant(r.end_at),
    gPerKwh: r.g_per_kwh,
    signal: r.signal,
    source: r.source,
    fetchedAt: toInstant(r.fetched_at)
  }))
}

/** A zone's stored intensity as planning reads it, and the sources whose points it holds. */
export interface StoredIntensity {
  points: IntensityPoint[]
  sources: string[]
  /** The rows read (`latestPoints`), sorted by start. */
  rows: StoredPoint[]
  /** The rows merged (`newestCovering`), before resampling: which fetch and source won each span. */
  merged: StoredPoint[]
}

/**
 * The zone's stored points overlapping [from, to) on one grid: every fetch merged (for each instant
 * the newest fetch covering it, see `newestCovering`) and resampled time-weighted onto the newest
 * fetch's grid (see `newestGrid`), so points of different sources, fetches and resolutions never
 * overlap. `sources` lists, in order of first appearance, the sources of the points kept; `rows` and
 * `merged` are kept for the zone cache, which answers narrower ranges from a wide read.
 */
export async function storedIntensity (db: Db, zone: string, kind: IntensityKind, from: Instant, to: Instant, signal?: Signal): Promise<StoredIntensity> {
  const rows = await latestPoints(db, zone, kind, from, to, signal)
  const merged = newestCovering(rows)
  const grid = newestGrid(rows)
  const plain = merged.map(p => ({ start: p.start, end: p.end, gPerKwh: p.gPerKwh }))
  return { points: grid === undefined ? plain : resample(plain, grid), sources: [...new Set(merged.map(p => p.source))], rows, merged }
}

/** Deletes points that ended before `before`, bumping the versions of the zones that lost some; returns how many. */
export async function pruneIntensityBefore (db: Db, before: Instant): Promise<number> {
  return await changeAndBump(db, db.deleteFrom('intensity_points').where('end_at', '<=', toDate(before)).returning('zone'))
}

/** The newest fetch of a zone's points of this kind: when, how far it reached, and who answered with which signal. */
export interface FetchSummary {
  fetchedAt: Instant
  horizonEnd: Instant
  signal: Signal
  source: string
}

/** When a zone's points of this kind were last fetched, if ever: how far that fetch reached, and its signal and source (one fetch stores one series). */
export async function newestFetch (db: Db, zone: string, kind: IntensityKind): Promise<FetchSummary | undefined> {
  const row = await db.selectFrom('intensity_points')
    .select(['fetched_at', 'signal', 'source', (eb) => eb.fn.max('end_at').as('horizon_end')])
    .where('zone', '=', zone)
    .where('kind', '=', kind)
    .where('fetched_at', '=', (eb) => eb.selectFrom('intensity_points')
      .select((e) => e.fn.max('fetched_at').as('f'))
      .where('zone', '=', zone)
      .where('kind', '=', kind))
    .groupBy(['fetched_at', 'signal', 'source'])
    .orderBy('horizon_end', 'desc')
    .executeTakeFirst()
  return row === undefined
    ? undefined
    : { fetchedAt: toInstant(row.fetched_at), horizonEnd: toInstant(row.horizon_end), signal: row.signal, source: row.source }
}

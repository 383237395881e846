import type { Insertable } from 'kysely'
import { labelsOf, type Labels } from '../core/ledger-price.js'
import { newestCovering, newestGrid, resample, versionOf } from '../core/resample.js'
import type { FactorType, Gas, Instant, IntensityPoint, Series, Signal } from '../core/types.js'
import { toDate, toInstant } from './convert.js'
import type { Db, IntensityKind, IntensityPointsTable } from './schema.js'
import { changeAndBump } from './zone-versions.js'

export type { IntensityKind } from './schema.js'

/**
 * One fetched point as stored: g/kWh over [start, end), what it counts (signal, gas, factor type;
 * absent: the defaults of the signal), where and when it came from, and its data's own version
 * (a file's content hash; absent for an API answer, whose fetch is its version).
 */
export interface IntensityRow {
  zone: string
  start: Instant
  end: Instant
  gPerKwh: number
  kind: IntensityKind
  signal: Signal
  gas?: Gas | undefined
  factorType?: FactorType | undefined
  source: string
  version?: string | undefined
  fetchedAt: Instant
}

/** A stored row as read back: the newest fetch for its span, with when it was fetched and its labels (defaults filled). */
export interface StoredPoint extends Labels {
  start: Instant
  end: Instant
  gPerKwh: number
  source: string
  /** The data's own version; null when the fetch is the version (`fetchedAt`), see `versionOf`. */
  version: string | null
  fetchedAt: Instant
}

/** 12 parameters a row: 1000 rows stay far below PostgreSQL's 65535 bind parameters. */
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

/**
 * A series' points as rows to store, fetched at `now`: its labels stated (the defaults of its signal
 * when the series states none), its version kept when the data has its own (a file's content hash).
 */
export function intensityRows (zone: string, kind: IntensityKind, series: Series, points: readonly IntensityPoint[], now: Instant): IntensityRow[] {
  const { signal, gas, factorType } = labelsOf(series)
  return points.map(p => ({
    zone, start: p.start, end: p.end, gPerKwh: p.gPerKwh, kind, signal, gas, factorType, source: series.source, version: series.version, fetchedAt: now
  }))
}

function toRow (r: IntensityRow): Insertable<IntensityPointsTable> {
  return {
    zone: r.zone,
    start_at: toDate(r.start),
    end_at: toDate(r.end),
    g_per_kwh: r.gPerKwh,
    kind: r.kind,
    signal: r.signal,
    gas: r.gas ?? null,
    factor_type: r.factorType ?? null,
    source: r.source,
    version: r.version ?? null,
    fetched_at: toDate(r.fetchedAt)
  }
}

/**
 * The points of a zone overlapping [from, to), the newest row (last fetched, any source) for each
 * span (start and end): the candidates `newestCovering` merges. One fetch stores one series, so the
 * newest fetch covering an instant always keeps its row here. Sorted by start. With `labels`, only
 * rows of that signal, gas and factor type (a null column counts as the signal's default): planning
 * never merges an average and a marginal series, nor CO2 and CO2e, nor lifecycle and direct factors,
 * even when a fallback chain stored both for the same hours.
 */
export async function latestPoints (db: Db, zone: string, kind: IntensityKind, from: Instant, to: Instant, labels?: Labels): Promise<StoredPoint[]> {
  let query = db.selectFrom('intensity_points')
    .distinctOn(['start_at', 'end_at'])
    .select(['start_at', 'end_at', 'g_per_kwh', 'signal', 'gas', 'factor_type', 'source', 'version', 'fetched_at'])
    .where('zone', '=', zone)
    .where('kind', '=', kind)
  if (labels !== undefined) {
    const defaults = labelsOf({ signal: labels.signal })
    const { gas, factorType } = labels
    query = query.where('signal', '=', labels.signal)
      .where((eb) => gas === defaults.gas ? eb.or([eb('gas', '=', gas), eb('gas', 'is', null)]) : eb('gas', '=', gas))
      .where((eb) => factorType === defaults.factorType
        ? eb.or([eb('factor_type', '=', factorType), eb('factor_type', 'is', null)])
        : eb('factor_type', '=', factorType))
  }
  const rows = await query
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
    ...rowLabels(r),
    source: r.source,
    version: r.version,
    fetchedAt: toInstant(r.fetched_at)
  }))
}

/** A row's labels: a null gas or factor type (a row stored before labels were) is the default of its signal. */
function rowLabels (r: { signal: Signal, gas: Gas | null, factor_type: FactorType | null }): Labels {
  return labelsOf({ signal: r.signal, ...(r.gas === null ? {} : { gas: r.gas }), ...(r.factor_type === null ? {} : { factorType: r.factor_type }) })
}

/** A zone's stored intensity as planning reads it, and the sources whose points it holds. */
export interface StoredIntensity {
  points: IntensityPoint[]
  sources: string[]
  /** What the points count: the labels read; undefined when nothing was read. */
  labels: Labels | undefined
  /** The version of the points kept (`versionOf`); undefined without points. */
  version: string | undefined
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
 *
 * One series counts one thing: only rows of one signal, gas and factor type are read, as the
 * existing rule for signals (the newest fetch's wins, the others are left out, never averaged in).
 * `labels` names them; a bare signal takes the labels of the newest fetch of that signal and kind;
 * without either, those of the newest fetch of the kind.
 */
export async function storedIntensity (db: Db, zone: string, kind: IntensityKind, from: Instant, to: Instant, labels?: Signal | Labels): Promise<StoredIntensity> {
  const chosen = typeof labels === 'object' ? labels : await newestLabels(db, zone, kind, labels)
  const rows = chosen === undefined ? [] : await latestPoints(db, zone, kind, from, to, chosen)
  const merged = newestCovering(rows)
  const grid = newestGrid(rows)
  const plain = merged.map(p => ({ start: p.start, end: p.end, gPerKwh: p.gPerKwh }))
  return {
    points: grid === undefined ? plain : resample(plain, grid),
    sources: [...new Set(merged.map(p => p.source))],
    labels: rows.length === 0 ? undefined : chosen,
    version: versionOf(merged),
    rows,
    merged
  }
}

/** The labels of the newest stored row of a zone's kind (of `signal`, when given); undefined when none is stored. */
async function newestLabels (db: Db, zone: string, kind: IntensityKind, signal: Signal | undefined): Promise<Labels | undefined> {
  const row = await db.selectFrom('intensity_points')
    .select(['signal', 'gas', 'factor_type'])
    .where('zone', '=', zone)
    .where('kind', '=', kind)
    .$if(signal !== undefined, (q) => q.where('signal', '=', signal as Signal))
    .orderBy('fetched_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row === undefined ? undefined : rowLabels(row)
}

/** Deletes forecast points that ended before `before` and actuals that ended before `actualsBefore`, bumping the versions of the zones that lost some; returns how many. */
export async function pruneIntensityBefore (db: Db, before: Instant, actualsBefore: Instant = before): Promise<number> {
  return await changeAndBump(db, db.deleteFrom('intensity_points')
    .where(eb => eb.or([
      eb.and([eb('kind', '=', 'forecast'), eb('end_at', '<=', toDate(before))]),
      eb.and([eb('kind', '=', 'actual'), eb('end_at', '<=', toDate(actualsBefore))])
    ]))
    .returning('zone'))
}

/** The newest fetch of a zone's points of this kind: when, how far it reached, who answered, what its values count and their version (`versionOf`). */
export interface FetchSummary extends Labels {
  fetchedAt: Instant
  horizonEnd: Instant
  source: string
  version: string
}

/** When a zone's points of this kind were last fetched, if ever: how far that fetch reached, and its signal and source (one fetch stores one series). */
export async function newestFetch (db: Db, zone: string, kind: IntensityKind): Promise<FetchSummary | undefined> {
  const row = await db.selectFrom('intensity_points')
    .select(['fetched_at', 'signal', 'gas', 'factor_type', 'source', 'version', (eb) => eb.fn.max('end_at').as('horizon_end')])
    .where('zone', '=', zone)
    .where('kind', '=', kind)
    .where('fetched_at', '=', (eb) => eb.selectFrom('intensity_points')
      .select((e) => e.fn.max('fetched_at').as('f'))
      .where('zone', '=', zone)
      .where('kind', '=', kind))
    .groupBy(['fetched_at', 'signal', 'gas', 'factor_type', 'source', 'version'])
    .orderBy('horizon_end', 'desc')
    .executeTakeFirst()
  if (row === undefined) return undefined
  const fetchedAt = toInstant(row.fetched_at)
  return {
    fetchedAt,
    horizonEnd: toInstant(row.horizon_end),
    ...rowLabels(row),
    source: row.source,
    version: versionOf([{ start: 0, end: 0, gPerKwh: 0, fetchedAt, version: row.version }]) ?? ''
  }
}

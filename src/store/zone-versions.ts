import { sql, type OperationNodeSource, type RawBuilder } from 'kysely'
import type { Db } from './schema.js'

/**
 * A CTE body that bumps the version of every zone named by the rows of `changed` (a CTE with a
 * `zone` column): `version = nextval('zone_version_seq')`, inserted for a zone seen the first time.
 * Put beside the statement that changed the zone's intensity rows, it lands in the same statement:
 * no reader can see the new rows under the old version.
 */
export function bumpZonesOf (changed: string): RawBuilder<unknown> {
  return sql`insert into zone_versions (zone, version)
    select zone, nextval('zone_version_seq') from (select distinct zone from ${sql.table(changed)}) as z
    on conflict (zone) do update set version = excluded.version`
}

/**
 * Runs `change` (an insert or delete of intensity rows `returning zone`) and bumps the version of
 * each zone it touched, in one statement. Returns how many rows it touched.
 */
export async function changeAndBump (db: Db, change: OperationNodeSource): Promise<number> {
  const { rows } = await sql<{ n: number }>`with changed as (${change}), bumped as (${bumpZonesOf('changed')})
    select count(*)::int as n from changed`.execute(db)
  return rows[0]?.n ?? 0
}

/**
 * The current version of each zone, as decimal strings ('0' for a zone whose intensity was never
 * stored), in one query. Two reads of a zone give the same version only if no intensity row of
 * it was added or deleted between them.
 */
export async function zoneVersions (db: Db, zones: readonly string[]): Promise<Map<string, string>> {
  const versions = new Map(zones.map(z => [z, '0']))
  if (zones.length === 0) return versions
  const { rows } = await sql<{ zone: string, version: string }>`select zone, version::text as version from zone_versions
    where zone in (${sql.join(zones)})`.execute(db)
  for (const r of rows) versions.set(r.zone, r.version)
  return versions
}

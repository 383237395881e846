import { sql } from 'kysely'
import type { Instant, Reservation } from '../core/types.js'
import type { Db } from './schema.js'

/** One pool's reservations as of one version of it, read in one statement (one snapshot). */
export interface PoolCapacity {
  /** The pool's `capacity_version` at the read: the reservations are exact while it holds. */
  version: string
  /** The newest release logged for the pool, if any. */
  released: string | null
  reservations: Reservation[]
}

/**
 * A pool's reservations that end after `since` (planned segments of planned, dispatched and
 * running jobs), with the pool's version, in one statement: the reservations are exactly those of
 * that version (adders change the version in the transaction that adds). Reads only this pool's
 * planned segments (index job_segments_planned_pool_idx). Undefined when the pool does not exist.
 */
export async function poolCapacity (db: Db, pool: string, since: Instant): Promise<PoolCapacity | undefined> {
  const result = await sql<{ version: string, released: string | null, reservations: Array<[number, number, number]> | null }>`
    select p.capacity_version::text as version,
      (select max(version)::text from pool_releases where pool = p.name) as released,
      (select json_agg(json_build_array(
          extract(epoch from s.start_at) * 1000, extract(epoch from s.end_at) * 1000, j.gpus))
        from job_segments s join jobs j on j.id = s.job_id
        where s.pool = p.name and s.kind = 'planned' and s.end_at > ${new Date(since)}
          and j.state in ('planned', 'dispatched', 'running')) as reservations
    from pools p where p.name = ${pool}`.execute(db)
  const row = result.rows[0]
  if (row === undefined) return undefined
  return {
    version: row.version,
    released: row.released,
    reservations: (row.reservations ?? []).map(([start, end, gpus]) => ({ pool, start: Math.round(start), end: Math.round(end), gpus }))
  }
}

/**
 * Gives `pools` fresh capacity versions: every transaction that adds reservations to a pool or
 * changes it calls this while holding the pool's row lock (`lockPools`), so views of the pool
 * read before know they are out of date.
 */
export async function bumpCapacityVersions (db: Db, pools: readonly string[]): Promise<void> {
  if (pools.length === 0) return
  await sql`update pools set capacity_version = nextval('capacity_version_seq') where name in (${sql.join([...pools])})`.execute(db)
}

/**
 * Deletes every logged release but each pool's newest (the only one a check compares with);
 * returns how many. The tick calls it, so the log stays a row per pool.
 */
export async function prunePoolReleases (db: Db): Promise<number> {
  const result = await sql`delete from pool_releases r where r.version < (select max(n.version) from pool_releases n where n.pool = r.pool)`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}

/** Every pool's capacity version and newest release, by name, in one query. */
export async function capacityVersions (db: Db): Promise<Map<string, { version: string, released: string | null }>> {
  const result = await sql<{ name: string, version: string, released: string | null }>`
    select p.name, p.capacity_version::text as version, (select max(version)::text from pool_releases where pool = p.name) as released
    from pools p`.execute(db)
  return new Map(result.rows.map(r => [r.name, { version: r.version, released: r.released }]))
}

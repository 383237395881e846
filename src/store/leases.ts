import { sql } from 'kysely'
import type { Db } from './schema.js'

/**
 * Takes the lease `name` for `holder` for `ttlMs` from the database's clock, or renews it if
 * `holder` has it. One upsert: the conflict update applies only when the lease expired or is
 * already ours, so of several racing holders exactly one gets it. Expiry is set and judged by the
 * database's `clock_timestamp()`, never by a process's clock: two hosts whose clocks disagree still
 * agree on who leads. Works on PGlite, which has no sessions to hold advisory locks across calls.
 */
export async function tryAcquireLease (db: Db, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const expiresAt = sql<Date>`clock_timestamp() + ${Math.round(ttlMs)} * interval '1 millisecond'`
  const row = await db.insertInto('leases')
    .values({ name, holder, expires_at: expiresAt })
    .onConflict((oc) => oc.column('name')
      .doUpdateSet({ holder, expires_at: expiresAt })
      .where((eb) => eb.or([
        eb('leases.expires_at', '<=', sql<Date>`clock_timestamp()`),
        eb('leases.holder', '=', holder)
      ])))
    .returning('name')
    .executeTakeFirst()
  return row !== undefined
}

/** Gives the lease up if `holder` has it; returns whether it did. */
export async function releaseLease (db: Db, name: string, holder: string): Promise<boolean> {
  const result = await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Whether `holder` holds lease `name` now, by the database's clock: the fencing check a leader makes inside its own writes. */
export async function holdsLease (db: Db, name: string, holder: string): Promise<boolean> {
  const row = await db.selectFrom('leases').select('name')
    .where('name', '=', name).where('holder', '=', holder).where('expires_at', '>', sql<Date>`clock_timestamp()`)
    .executeTakeFirst()
  return row !== undefined
}

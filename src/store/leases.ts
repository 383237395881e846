import type { Db } from './schema.js'

/**
 * Takes the lease `name` for `holder` until `now + ttlMs`, or renews it if `holder` has it.
 * One upsert: the conflict update applies only when the lease expired or is already ours, so of
 * several racing holders exactly one gets it. `now` is the caller's clock, never SQL `now()`.
 * Works on PGlite, which has no sessions to hold advisory locks across calls.
 */
export async function tryAcquireLease (db: Db, name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
  const expiresAt = new Date(now.getTime() + ttlMs)
  const row = await db.insertInto('leases')
    .values({ name, holder, expires_at: expiresAt })
    .onConflict((oc) => oc.column('name')
      .doUpdateSet({ holder, expires_at: expiresAt })
      .where((eb) => eb.or([
        eb('leases.expires_at', '<=', now),
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

/** Whether `holder` holds lease `name` at `now`: the fencing check a leader makes inside its own writes. */
export async function holdsLease (db: Db, name: string, holder: string, now: Date): Promise<boolean> {
  const row = await db.selectFrom('leases').select('name')
    .where('name', '=', name).where('holder', '=', holder).where('expires_at', '>', now)
    .executeTakeFirst()
  return row !== undefined
}

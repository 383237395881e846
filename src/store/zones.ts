import type { Instant, Signal } from '../core/types.js'
import { toInstant } from './convert.js'
import type { Db } from './schema.js'

/** A grid zone: which signal it is planned on and how its providers are configured. */
export interface Zone {
  name: string
  signal: Signal
  /** Provider configuration as given (stored as jsonb, opaque here). */
  providers: unknown
  updatedAt: Instant
}

/** Creates or replaces a zone's signal and providers. */
export async function upsertZone (db: Db, zone: { name: string, signal: Signal, providers: unknown }, now: Date): Promise<void> {
  const providers = JSON.stringify(zone.providers ?? null)
  await db.insertInto('zones')
    .values({ name: zone.name, signal: zone.signal, providers, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ signal: zone.signal, providers, updated_at: now }))
    .execute()
}

/** Every zone, by name. */
export async function listZones (db: Db): Promise<Zone[]> {
  const rows = await db.selectFrom('zones').selectAll().orderBy('name').execute()
  return rows.map((r) => ({ name: r.name, signal: r.signal, providers: r.providers, updatedAt: toInstant(r.updated_at) }))
}

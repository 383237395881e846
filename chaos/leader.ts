import { logOf } from './processes.js'
import { query } from './postgres.js'
import type { Instance, Testbed } from './testbed.js'

/** The scheduler lease's holder while unexpired (the database's clock), or undefined. */
export async function leaseHolder (databaseUrl: string): Promise<string | undefined> {
  const rows = await query<{ holder: string }>(databaseUrl, "select holder from leases where name = 'scheduler' and expires_at > now()")
  return rows[0]?.holder
}

/**
 * The live instance holding the scheduler lease: the holder names its process (`host:pid`), or,
 * when the holder id is opaque, the instance's current process logged it. Undefined while nobody
 * holds it or the holder is a process that was killed.
 */
export async function leaderOf (bed: Testbed): Promise<Instance | undefined> {
  const holder = await leaseHolder(bed.databaseUrl).catch(() => undefined)
  if (holder === undefined) return undefined
  const parts = holder.split(/[:/@\s]/)
  return bed.instances.find(i => parts.includes(String(i.proc.pid))) ??
    bed.instances.find(i => logOf(i.proc).includes(holder))
}

import type { Insertable, Selectable, Transaction, Updateable } from 'kysely'
import type { Pool } from '../core/types.js'
import { toJson } from './convert.js'
import type { Database, Db, PoolsTable } from './schema.js'

/** The one mapping from a `pools` row to the domain `Pool`. */
function toPool (row: Selectable<PoolsTable>): Pool {
  return {
    name: row.name,
    zone: row.zone,
    gpuModel: row.gpu_model,
    gpuCount: row.gpu_count,
    wattsPerGpu: row.watts_per_gpu,
    pue: row.pue,
    executor: row.executor,
    enabled: row.enabled,
    embodiedGPerGpuHour: row.embodied_g_per_gpu_hour,
    hostWattsPerGpu: row.host_watts_per_gpu,
    idleWattsPerGpu: row.idle_watts_per_gpu,
    market: row.market
  }
}

function toRow (pool: Pool, now: Date): Insertable<PoolsTable> {
  return {
    name: pool.name,
    zone: pool.zone,
    gpu_model: pool.gpuModel,
    gpu_count: pool.gpuCount,
    watts_per_gpu: pool.wattsPerGpu,
    pue: pool.pue,
    executor: JSON.stringify(pool.executor),
    enabled: pool.enabled,
    embodied_g_per_gpu_hour: pool.embodiedGPerGpuHour ?? null,
    host_watts_per_gpu: pool.hostWattsPerGpu,
    idle_watts_per_gpu: pool.idleWattsPerGpu,
    market: toJson(pool.market),
    created_at: now,
    updated_at: now
  }
}

/** Every pool, oldest first (ties by name). */
export async function listPools (db: Db): Promise<Pool[]> {
  const rows = await db.selectFrom('pools').selectAll().orderBy('created_at').orderBy('name').execute()
  return rows.map(toPool)
}

/** One pool by name. */
export async function getPool (db: Db, name: string): Promise<Pool | undefined> {
  const row = await db.selectFrom('pools').selectAll().where('name', '=', name).executeTakeFirst()
  return row === undefined ? undefined : toPool(row)
}

/** Inserts a pool; `false` (and no change) if the name is taken. */
export async function insertPool (db: Db, pool: Pool, now: Date): Promise<boolean> {
  const result = await db.insertInto('pools').values(toRow(pool, now))
    .onConflict((oc) => oc.column('name').doNothing())
    .executeTakeFirst()
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n
}

/** Changes some fields of a pool; `undefined` if there is no such pool. */
export async function updatePool (db: Db, name: string, patch: Partial<Omit<Pool, 'name'>>, now: Date): Promise<Pool | undefined> {
  const set: Updateable<PoolsTable> = { updated_at: now }
  if (patch.zone !== undefined) set.zone = patch.zone
  if (patch.gpuModel !== undefined) set.gpu_model = patch.gpuModel
  if (patch.gpuCount !== undefined) set.gpu_count = patch.gpuCount
  if (patch.wattsPerGpu !== undefined) set.watts_per_gpu = patch.wattsPerGpu
  if (patch.pue !== undefined) set.pue = patch.pue
  if (patch.executor !== undefined) set.executor = JSON.stringify(patch.executor)
  if (patch.enabled !== undefined) set.enabled = patch.enabled
  if (patch.embodiedGPerGpuHour !== undefined) set.embodied_g_per_gpu_hour = patch.embodiedGPerGpuHour
  if (patch.hostWattsPerGpu !== undefined) set.host_watts_per_gpu = patch.hostWattsPerGpu
  if (patch.idleWattsPerGpu !== undefined) set.idle_watts_per_gpu = patch.idleWattsPerGpu
  if (patch.market !== undefined) set.market = toJson(patch.market)
  const row = await db.updateTable('pools').set(set).where('name', '=', name).returningAll().executeTakeFirst()
  return row === undefined ? undefined : toPool(row)
}

/**
 * Inserts the configured pools that are not stored yet and leaves existing ones alone (the API may
 * have changed them). Returns the names inserted.
 */
export async function seedPools (db: Db, pools: readonly Pool[], now: Date): Promise<string[]> {
  if (pools.length === 0) return []
  // created_at one millisecond apart keeps configuration order in listPools: it decides the baseline pool.
  const rows = await db.insertInto('pools').values(pools.map((p, i) => toRow(p, new Date(now.getTime() + i))))
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .execute()
  return rows.map((r) => r.name)
}

/**
 * Locks the named pools (`SELECT … FOR UPDATE`, in name order so two callers cannot deadlock)
 * until the transaction ends, so concurrent planners serialise on the capacity they share.
 */
export async function lockPools (trx: Transaction<Database>, names: readonly string[]): Promise<void> {
  if (names.length === 0) return
  await trx.selectFrom('pools').select('name')
    .where('name', 'in', [...names])
    .orderBy('name')
    .forUpdate()
    .execute()
}

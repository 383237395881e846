import { sql } from 'kysely'
import type { JobState } from '../core/types.js'
import type { Db } from './schema.js'

/** Jobs of every tenant by state and pool ("" for a job not yet planned): bounded by states × pools. */
export async function jobCounts (db: Db): Promise<Array<{ state: JobState, pool: string, count: number }>> {
  const rows = await db.selectFrom('jobs')
    .select(['state', sql<string>`coalesce(pool, '')`.as('pool'), sql<string>`count(*)`.as('count')])
    .groupBy(['state', 'pool'])
    .execute()
  return rows.map(r => ({ state: r.state, pool: r.pool, count: Number(r.count) }))
}

import { sql } from 'kysely'
import type { Instant, Interval } from '../core/types.js'
import { toDate, toInstant } from './convert.js'
import type { Db, SegmentKind } from './schema.js'

export type { SegmentKind } from './schema.js'

/** One interval of a job on a pool, planned or as run. */
export interface Segment {
  id: number
  jobId: string
  kind: SegmentKind
  pool: string
  start: Instant
  end: Instant
}

/**
 * Replaces a job's planned segments with `intervals` on `pool` in one statement (a delete CTE and
 * an insert); an empty list only deletes, which releases the job's reservation. Each pool whose
 * segments were deleted gets a row in `pool_releases` in the same statement (appended, no lock), so
 * processes keeping that pool's reservations in memory learn they hold too much.
 */
export async function replacePlannedSegments (db: Db, jobId: string, pool: string, intervals: readonly Interval[]): Promise<void> {
  const remove = db.deleteFrom('job_segments').where('job_id', '=', jobId).where('kind', '=', 'planned').returning('pool')
  const logged = db.with('removed', () => remove)
    .with('released', (qb) => qb.insertInto('pool_releases').columns(['pool'])
      .expression((eb) => eb.selectFrom('removed').select('removed.pool').distinct()))
  if (intervals.length === 0) {
    await logged.selectFrom('removed').select(sql<number>`count(*)`.as('n')).execute()
    return
  }
  const values = intervals.map((i) => ({
    job_id: jobId, kind: 'planned' as const, pool, start_at: toDate(i.start), end_at: toDate(i.end)
  }))
  await logged.insertInto('job_segments').values(values).execute()
}

/** A job's segments: planned ones first, then actual, each by start. */
export async function listSegments (db: Db, jobId: string): Promise<Segment[]> {
  const rows = await db.selectFrom('job_segments').selectAll()
    .where('job_id', '=', jobId)
    .orderBy('kind', 'desc').orderBy('start_at').orderBy('id')
    .execute()
  return rows.map((r) => ({
    id: r.id, jobId: r.job_id, kind: r.kind, pool: r.pool, start: toInstant(r.start_at), end: toInstant(r.end_at)
  }))
}

/**
 * Records the interval that attempt `attempt` of a job actually ran on a pool. The schema allows
 * one per attempt (a partial unique index): a second insert for the same attempt does nothing and
 * returns false.
 */
export async function insertActualSegment (db: Db, jobId: string, attempt: number, pool: string, interval: Interval): Promise<boolean> {
  const result = await db.insertInto('job_segments').values({
    job_id: jobId, kind: 'actual', attempt, pool, start_at: toDate(interval.start), end_at: toDate(interval.end)
  }).onConflict(oc => oc.columns(['job_id', 'attempt']).where('kind', '=', 'actual').doNothing()).executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0
}

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
 * an insert); an empty list only deletes, which releases the job's reservation.
 */
export async function replacePlannedSegments (db: Db, jobId: string, pool: string, intervals: readonly Interval[]): Promise<void> {
  const remove = db.deleteFrom('job_segments').where('job_id', '=', jobId).where('kind', '=', 'planned')
  if (intervals.length === 0) {
    await remove.execute()
    return
  }
  const values = intervals.map((i) => ({
    job_id: jobId, kind: 'planned' as const, pool, start_at: toDate(i.start), end_at: toDate(i.end)
  }))
  await db.with('removed', () => remove).insertInto('job_segments').values(values).execute()
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

/** Records an interval a job actually ran on a pool. */
export async function insertActualSegment (db: Db, jobId: string, pool: string, interval: Interval): Promise<void> {
  await db.insertInto('job_segments').values({
    job_id: jobId, kind: 'actual', pool, start_at: toDate(interval.start), end_at: toDate(interval.end)
  }).execute()
}

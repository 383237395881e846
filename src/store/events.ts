import type { Instant, JobState } from '../core/types.js'
import { toInstant, toJson } from './convert.js'
import type { Db } from './schema.js'

/** An event to append to a job's history. */
export interface NewJobEvent {
  jobId: string
  at: Date
  type: string
  fromState?: JobState | null
  toState?: JobState | null
  reason: string
  data?: unknown
}

/** One row of a job's append-only history. */
export interface JobEvent {
  id: number
  jobId: string
  at: Instant
  type: string
  fromState: JobState | null
  toState: JobState | null
  reason: string
  data: unknown
}

/** Appends an event; returns its id (ids grow in append order). */
export async function appendEvent (db: Db, event: NewJobEvent): Promise<number> {
  const row = await db.insertInto('job_events').values({
    job_id: event.jobId,
    at: event.at,
    type: event.type,
    from_state: event.fromState ?? null,
    to_state: event.toState ?? null,
    reason: event.reason,
    data: toJson(event.data)
  }).returning('id').executeTakeFirstOrThrow()
  return row.id
}

/** A job's events in the order they were appended. */
export async function listEvents (db: Db, jobId: string): Promise<JobEvent[]> {
  const rows = await db.selectFrom('job_events').selectAll().where('job_id', '=', jobId).orderBy('id').execute()
  return rows.map((r) => ({
    id: r.id,
    jobId: r.job_id,
    at: toInstant(r.at),
    type: r.type,
    fromState: r.from_state,
    toState: r.to_state,
    reason: r.reason,
    data: r.data
  }))
}

import { sql } from 'kysely'
import type { Instant, JobPlan, JobState } from '../core/types.js'
import type { Db } from './schema.js'

/** The fields of a plan a move replaces; the rest of the plan (baseline, latest safe start) stays. */
export type PlanPatch = Pick<JobPlan, 'pool' | 'zone' | 'segments' | 'energyKwh' | 'expected' | 'expectedAvoidedGrams' | 'plannedAt'>

/** One re-planned job to write: what changes in its plan (same state), and the `replanned` event's reason and data. */
export interface PlanChange {
  id: string
  /** The state the job must still be in; it stays in it. */
  state: JobState
  patch: PlanPatch
  reason: string
  data: unknown
}

/**
 * Moves per statement: 1,000 moves of ~1 kB (patch, segments, event) make a ~1 MB parameter,
 * and 15,000 moves take 15 statements instead of 30,000 (a `transitionJob` and a
 * `replacePlannedSegments` each).
 */
const CHUNK = 1_000

/**
 * Writes re-planned jobs in a few statements, each what `transitionJob` (state unchanged, type
 * `replanned`) and `replacePlannedSegments` do for one job, for up to 1,000 jobs at once: the
 * job's plan (`patch` merged over its top-level fields), pool and `updated_at` where it is still
 * in `state` (the update locks the row, so a concurrent change of state wins or waits, as with
 * `transitionJob`); its event, in the order given; its planned segments replaced, with a
 * `pool_releases` row per pool whose segments were deleted. A job no longer in its state is left
 * alone (its segments too). Returns how many jobs were updated. Instants go as ISO text, exact to
 * the millisecond on both drivers.
 */
export async function writePlanChanges (trx: Db, changes: readonly PlanChange[], at: Instant): Promise<number> {
  let updated = 0
  for (let i = 0; i < changes.length; i += CHUNK) updated += await writeChunk(trx, changes.slice(i, i + CHUNK), at)
  return updated
}

async function writeChunk (trx: Db, changes: readonly PlanChange[], at: Instant): Promise<number> {
  if (changes.length === 0) return 0
  const iso = (t: Instant): string => new Date(t).toISOString()
  const rows = changes.map((c, ord) => ({
    ord,
    id: c.id,
    state: c.state,
    patch: c.patch,
    reason: c.reason,
    data: c.data ?? null,
    segments: c.patch.segments.map(s => ({ start_at: iso(s.start), end_at: iso(s.end) }))
  }))
  const result = await sql<{ n: number | string }>`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as m(ord integer, id text, state text, patch jsonb, reason text, data jsonb, segments jsonb)
    ), moved as (
      update jobs j set plan = j.plan || i.patch, pool = i.patch ->> 'pool', updated_at = ${new Date(at)}::timestamptz
      from input i where j.id = i.id and j.state = i.state
      returning j.id, j.state
    ), event as (
      insert into job_events (job_id, at, type, from_state, to_state, reason, data)
      select m.id, ${new Date(at)}::timestamptz, 'replanned', m.state, m.state, i.reason, i.data
      from moved m join input i on i.id = m.id order by i.ord
    ), removed as (
      delete from job_segments s using moved m where s.job_id = m.id and s.kind = 'planned' returning s.pool
    ), released as (
      insert into pool_releases (pool) select distinct pool from removed
    ), added as (
      insert into job_segments (job_id, kind, pool, start_at, end_at)
      select m.id, 'planned', i.patch ->> 'pool', g.start_at, g.end_at
      from moved m join input i on i.id = m.id
        cross join jsonb_to_recordset(i.segments) as g(start_at timestamptz, end_at timestamptz)
      order by i.ord, g.start_at
    )
    select count(*) as n from moved`.execute(trx)
  return Number(result.rows[0]?.n ?? 0)
}

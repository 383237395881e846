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
  return await inChunks(trx, changes.map(c => ({ ...c, lss: null })), 'replan', at)
}

/** A pending job's first plan, and the reason on its event. */
export interface NewPlan {
  id: string
  plan: JobPlan
  reason: string
}

/**
 * Moves pending jobs to `planned` with their plans, as `transitionJob` (from `pending`, event type
 * `transition`) and `replacePlannedSegments` would one by one, in statements of up to 1,000 jobs:
 * the plan, pool, latest safe start and `updated_at` of each job still `pending`, its event in the
 * order given, its planned segments. A job no longer pending is left alone. Returns how many were
 * planned.
 */
export async function writeNewPlans (trx: Db, plans: readonly NewPlan[], at: Instant): Promise<number> {
  return await inChunks(trx, plans.map(p => ({ id: p.id, state: 'pending', patch: p.plan, lss: p.plan.latestSafeStart, reason: p.reason, data: null })), 'plan', at)
}

/** One job's row of the write statement: the state it must be in, the plan fields to set. */
interface Write { id: string, state: JobState, patch: PlanPatch, lss: Instant | null, reason: string, data: unknown }

async function inChunks (trx: Db, writes: readonly Write[], kind: 'replan' | 'plan', at: Instant): Promise<number> {
  let updated = 0
  for (let i = 0; i < writes.length; i += CHUNK) updated += await writeChunk(trx, writes.slice(i, i + CHUNK), kind, at)
  return updated
}

async function writeChunk (trx: Db, writes: readonly Write[], kind: 'replan' | 'plan', at: Instant): Promise<number> {
  if (writes.length === 0) return 0
  const iso = (t: Instant): string => new Date(t).toISOString()
  const rows = writes.map((c, ord) => ({
    ord,
    id: c.id,
    state: c.state,
    patch: c.patch,
    lss: c.lss === null ? null : iso(c.lss),
    reason: c.reason,
    data: c.data ?? null,
    segments: c.patch.segments.map(s => ({ start_at: iso(s.start), end_at: iso(s.end) }))
  }))
  // A move keeps the rest of the plan and the state; a first plan is the whole plan.
  const set = kind === 'replan' ? sql`plan = j.plan || i.patch` : sql`state = 'planned', plan = i.patch, latest_safe_start = i.lss`
  const type = kind === 'replan' ? 'replanned' : 'transition'
  const result = await sql<{ n: number | string }>`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as m(ord integer, id text, state text, patch jsonb, lss timestamptz, reason text, data jsonb, segments jsonb)
    ), moved as (
      update jobs j set ${set}, pool = i.patch ->> 'pool', updated_at = ${new Date(at)}::timestamptz
      from input i where j.id = i.id and j.state = i.state
      returning j.id, j.state
    ), event as (
      insert into job_events (job_id, at, type, from_state, to_state, reason, data)
      select m.id, ${new Date(at)}::timestamptz, ${type}::text, i.state, m.state, i.reason, i.data
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

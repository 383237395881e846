import { sql, type RawBuilder } from 'kysely'
import type { Interval } from '../core/types.js'
import { jobColumns, type NewJob } from './job-rows.js'
import type { Db } from './schema.js'

/** An event written with a new job, in order. */
export interface IntakeEvent {
  at: Date
  type: string
  fromState: string | null
  toState: string
  reason: string
}

/** A new job and what is written with it: its events, in order, and its planned segments. */
export interface NewJobRows {
  job: NewJob
  events: readonly IntakeEvent[]
  /** The planned segments on `job.plan.pool`; empty for a pending job. */
  segments: readonly Interval[]
}

/** New jobs (all planned on the same pool, or all pending) and the conditions under which they may be written. */
export interface IntakeWrite {
  jobs: readonly NewJobRows[]
  /** The pool all of them are planned on; undefined for pending jobs (no pool, no lock). */
  pool?: string | undefined
  /**
   * The pool's `capacity_version` the plans were made against: written only if the pool's locked
   * row still has it. (Releases since only make the plans pessimistic: they do not refuse a write,
   * which under a steady stream of finishing jobs would refuse nearly every one.)
   */
  poolVersion?: { version: string } | undefined
  /**
   * Written only if, for each tenant, its queued jobs (the trigger-kept counts) plus these new ones
   * stay within its cap less this margin: `{ cap, margin }`, where `cap` applies unless the tenant
   * has its own. Undefined when the caller has checked the queue itself under the tenant's lock.
   */
  queue?: { cap: number, margin: number } | undefined
  /**
   * The versions of the zones' forecasts the plans were made on (`zone_versions`): written only if
   * each is still current, so a refresh that landed meanwhile, in any replica, is planned on.
   */
  zones?: ReadonlyMap<string, string> | undefined
}

/** What happened: written, or why not; with the pool's versions as the statement saw them. */
export type IntakeResult =
  | { written: true, poolVersion: string | null, released: string | null }
  | { written: false, why: 'pool-changed' | 'queue-near-cap' | 'zones-changed', poolVersion: string | null, released: string | null }

/** The `jobs` row as JSON for `json_populate_recordset`: jsonb columns as values, instants as ISO text. */
function jobRecord (job: NewJob): Record<string, unknown> {
  return jobColumns(job, t => new Date(t).toISOString(), v => v, v => v ?? null)
}

/**
 * Writes new jobs with their events and planned segments in ONE statement (one round trip, and in
 * autocommit one transaction), on conditions checked inside it:
 * - with a pool version, the pool's row is locked (`FOR UPDATE`, the lock every planner of that
 *   pool takes) and must still carry that version: nobody added reservations since the caller's
 *   view of the pool was read. A lock that was waited for returns the row as committed since, so
 *   the check is against the newest version. On success the pool gets a fresh version. The newest
 *   release logged for the pool comes back, so the caller can tell its view has become pessimistic.
 * - with `queue`, each tenant's queued jobs and its new ones must stay within its cap less the margin.
 * - with `zones`, each zone's forecast version must still be the one planned on.
 * Nothing is written when a condition fails: all the jobs or none. A job whose idempotency key is
 * taken throws the database's unique violation, as `insertJob` does.
 */
export async function writeNewJobs (db: Db, w: IntakeWrite): Promise<IntakeResult> {
  const pool = w.pool ?? null
  const locked = pool !== null && w.poolVersion !== undefined
  const perTenant = new Map<string, number>()
  for (const { job } of w.jobs) perTenant.set(job.tenantId, (perTenant.get(job.tenantId) ?? 0) + 1)
  const queueOk: RawBuilder<boolean> = w.queue === undefined
    ? sql<boolean>`true`
    : sql<boolean>`not exists (select 1 from json_each_text(${JSON.stringify(Object.fromEntries(perTenant))}::json) t
        where (select coalesce(sum(n), 0) from tenant_queue_counts c where c.tenant_id = t.key) + t.value::bigint
          > coalesce((select max_queued_jobs from tenants where id = t.key), ${w.queue.cap}::bigint) - ${w.queue.margin}::bigint)`
  const poolCte = locked
    ? sql`select capacity_version::text as version,
            (select max(version)::text from pool_releases where pool = ${pool}) as released
          from pools where name = ${pool} for update`
    : sql`select null::text as version, null::text as released`
  const poolOk = locked ? sql<boolean>`p.version = ${w.poolVersion?.version}` : sql<boolean>`true`
  const records = w.jobs.map(r => jobRecord(r.job))
  const zones = JSON.stringify(Object.fromEntries(w.zones ?? []))
  const zonesOk = sql<boolean>`not exists (select 1 from json_each_text(${zones}::json) z
    where coalesce((select version from zone_versions v where v.zone = z.key), 0) <> z.value::bigint)`
  const columns = sql.join(Object.keys(records[0] ?? {}).map(c => sql.ref(c)))
  const bump = locked
    ? sql`update pools set capacity_version = nextval('capacity_version_seq') where name = ${pool} and exists (select 1 from j) returning capacity_version::text as version`
    : sql`select null::text as version`
  const segments = JSON.stringify(w.jobs.flatMap(r => r.segments.map(s => ({ job_id: r.job.id, start_at: new Date(s.start).toISOString(), end_at: new Date(s.end).toISOString() }))))
  const events = JSON.stringify(w.jobs.flatMap(r => r.events.map(e => ({ job_id: r.job.id, at: e.at.toISOString(), type: e.type, from_state: e.fromState, to_state: e.toState, reason: e.reason }))))
  const result = await sql<{ seen: string | null, released: string | null, written: string | null, inserted: number, queue_ok: boolean | null, zones_ok: boolean | null }>`
    with p as (${poolCte}),
    checks as (select ${poolOk} as pool_ok, ${queueOk} as queue_ok, ${zonesOk} as zones_ok from p),
    j as (
      insert into jobs (${columns})
      select ${columns} from json_populate_recordset(null::jobs, ${JSON.stringify(records)}::json)
      where exists (select 1 from checks where pool_ok and queue_ok and zones_ok)
      returning id
    ),
    e as (
      insert into job_events (job_id, at, type, from_state, to_state, reason)
      select ev.job_id, ev.at, ev.type, ev.from_state, ev.to_state, ev.reason
      from json_to_recordset(${events}::json) as ev(job_id text, at timestamptz, type text, from_state text, to_state text, reason text)
      where exists (select 1 from j)
    ),
    s as (
      insert into job_segments (job_id, kind, pool, start_at, end_at)
      select sg.job_id, 'planned', ${pool ?? ''}, sg.start_at, sg.end_at
      from json_to_recordset(${segments}::json) as sg(job_id text, start_at timestamptz, end_at timestamptz)
      where exists (select 1 from j)
    ),
    v as (${bump})
    select (select version from p) as seen, (select released from p) as released,
      (select version from v) as written, (select count(*) from j)::int as inserted,
      (select queue_ok from checks) as queue_ok, (select zones_ok from checks) as zones_ok`.execute(db)
  const row = result.rows[0]
  if (row === undefined) throw new Error('writeNewJobs: the statement returned no row')
  if (row.inserted === w.jobs.length) return { written: true, poolVersion: row.written, released: row.released }
  const why = row.queue_ok === false ? 'queue-near-cap' : row.zones_ok === false ? 'zones-changed' : 'pool-changed'
  return { written: false, why, poolVersion: row.seen, released: row.released }
}

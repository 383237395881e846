import { sql, type RawBuilder } from 'kysely'
import type { Interval } from '../core/types.js'
import type { NewJob } from './job-rows.js'
import type { Db } from './schema.js'

/** An event written with a new job, in order. */
export interface IntakeEvent {
  at: Date
  type: string
  fromState: string | null
  toState: string
  reason: string
}

/** A new job and everything written with it, and the conditions under which it may be written. */
export interface IntakeWrite {
  job: NewJob
  events: readonly IntakeEvent[]
  /** The planned segments on `job.plan.pool`; empty for a pending job. */
  segments: readonly Interval[]
  /**
   * The pool's `capacity_version` and newest release the plan was made against: the job is written
   * only if the pool's locked row still has that version and no release came since. Undefined for
   * a pending job (no pool, no lock).
   */
  poolVersion?: { version: string, released: string | null } | undefined
  /**
   * Written only if the tenant's queued jobs (the trigger-kept counts) are below the cap less this
   * margin: `{ cap, margin }`, where `cap` applies unless the tenant has its own. Undefined when the
   * caller has checked the queue itself under the tenant's lock.
   */
  queue?: { cap: number, margin: number } | undefined
  /**
   * The versions of the zones' forecasts the plan was made on (`zone_versions`): written only if
   * each is still current, so a refresh that landed meanwhile, in any replica, is planned on.
   */
  zones?: ReadonlyMap<string, string> | undefined
}

/** What happened: written, or why not; with the pool's versions as the statement saw them. */
export type IntakeResult =
  | { written: true, poolVersion: string | null, released: string | null }
  | { written: false, why: 'pool-changed' | 'queue-near-cap' | 'zones-changed', poolVersion: string | null, released: string | null }

/** The `jobs` row as JSON for `json_populate_record`: jsonb columns as values, instants as ISO text. */
function jobRecord (job: NewJob): Record<string, unknown> {
  return {
    id: job.id,
    tenant_id: job.tenantId,
    name: job.name,
    state: job.state,
    gpus: job.gpus,
    duration_minutes: job.durationMinutes,
    deadline: new Date(job.deadline).toISOString(),
    not_before: job.notBefore === null ? null : new Date(job.notBefore).toISOString(),
    interruptible: job.interruptible,
    min_segment_minutes: job.minSegmentMinutes,
    pools: job.pools,
    zones: job.zones,
    preferred_pool: job.preferredPool,
    watts_per_gpu: job.wattsPerGpu,
    energy_kwh: job.energyKwh,
    command: job.command,
    payload: job.payload,
    labels: job.labels,
    plan: job.plan,
    pool: job.plan?.pool ?? null,
    latest_safe_start: job.plan === null ? null : new Date(job.plan.latestSafeStart).toISOString(),
    idempotency_key: job.idempotencyKey,
    request_hash: job.requestHash,
    submitted_at: new Date(job.submittedAt).toISOString(),
    updated_at: new Date(job.updatedAt).toISOString()
  }
}

/**
 * Writes a new job with its events and planned segments in ONE statement (one round trip, and in
 * autocommit one transaction), on conditions checked inside it:
 * - with a pool version, the pool's row is locked (`FOR UPDATE`, the lock every planner of that
 *   pool takes) and must still carry that version: nobody added reservations since the caller's
 *   view of the pool was read. A lock that was waited for returns the row as committed since, so
 *   the check is against the newest version. On success the pool gets a fresh version. A release
 *   logged since the view was read refuses the write too: the caller's view would be pessimistic,
 *   and the job could go into the freed GPUs.
 * - with `queue`, the tenant's queued jobs must be below its cap less the margin.
 * - with `zones`, each zone's forecast version must still be the one planned on.
 * Nothing is written when a condition fails. A second job with the same idempotency key throws the
 * database's unique violation, as `insertJob` does.
 */
export async function writeNewJob (db: Db, w: IntakeWrite): Promise<IntakeResult> {
  const pool = w.job.plan?.pool ?? null
  const locked = pool !== null && w.poolVersion !== undefined
  const tenant = w.job.tenantId
  const queueOk: RawBuilder<boolean> = w.queue === undefined
    ? sql<boolean>`true`
    : sql<boolean>`(select coalesce(sum(n), 0) from tenant_queue_counts where tenant_id = ${tenant})
        < coalesce((select max_queued_jobs from tenants where id = ${tenant}), ${w.queue.cap}::bigint) - ${w.queue.margin}::bigint`
  const poolCte = locked
    ? sql`select capacity_version::text as version,
            (select max(version)::text from pool_releases where pool = ${pool}) as released
          from pools where name = ${pool} for update`
    : sql`select null::text as version, null::text as released`
  const poolOk = locked ? sql<boolean>`p.version = ${w.poolVersion?.version} and p.released is not distinct from ${w.poolVersion?.released ?? null}::text` : sql<boolean>`true`
  const record = jobRecord(w.job)
  const zones = JSON.stringify(Object.fromEntries(w.zones ?? []))
  const zonesOk = sql<boolean>`not exists (select 1 from json_each_text(${zones}::json) z
    where coalesce((select version from zone_versions v where v.zone = z.key), 0) <> z.value::bigint)`
  const columns = sql.join(Object.keys(record).map(c => sql.ref(c)))
  const bump = locked
    ? sql`update pools set capacity_version = nextval('capacity_version_seq') where name = ${pool} and exists (select 1 from j) returning capacity_version::text as version`
    : sql`select null::text as version`
  const segments = JSON.stringify(w.segments.map(s => ({ start_at: new Date(s.start).toISOString(), end_at: new Date(s.end).toISOString() })))
  const events = JSON.stringify(w.events.map(e => ({ at: e.at.toISOString(), type: e.type, from_state: e.fromState, to_state: e.toState, reason: e.reason })))
  const result = await sql<{ seen: string | null, released: string | null, written: string | null, inserted: number, queue_ok: boolean | null, zones_ok: boolean | null }>`
    with p as (${poolCte}),
    checks as (select ${poolOk} as pool_ok, ${queueOk} as queue_ok, ${zonesOk} as zones_ok from p),
    j as (
      insert into jobs (${columns})
      select ${columns} from json_populate_record(null::jobs, ${JSON.stringify(record)}::json)
      where exists (select 1 from checks where pool_ok and queue_ok and zones_ok)
      returning id
    ),
    e as (
      insert into job_events (job_id, at, type, from_state, to_state, reason)
      select j.id, ev.at, ev.type, ev.from_state, ev.to_state, ev.reason
      from j, json_to_recordset(${events}::json) as ev(at timestamptz, type text, from_state text, to_state text, reason text)
    ),
    s as (
      insert into job_segments (job_id, kind, pool, start_at, end_at)
      select j.id, 'planned', ${pool ?? ''}, sg.start_at, sg.end_at
      from j, json_to_recordset(${segments}::json) as sg(start_at timestamptz, end_at timestamptz)
    ),
    v as (${bump})
    select (select version from p) as seen, (select released from p) as released,
      (select version from v) as written, (select count(*) from j)::int as inserted,
      (select queue_ok from checks) as queue_ok, (select zones_ok from checks) as zones_ok`.execute(db)
  const row = result.rows[0]
  if (row === undefined) throw new Error('writeNewJob: the statement returned no row')
  if (row.inserted === 1) return { written: true, poolVersion: row.written, released: row.released }
  const why = row.queue_ok === false ? 'queue-near-cap' : row.zones_ok === false ? 'zones-changed' : 'pool-changed'
  return { written: false, why, poolVersion: row.seen, released: row.released }
}

import type { Insertable, Selectable } from 'kysely'
import type { Instant, Job, JobPlan } from '../core/types.js'
import { toDate, toInstant, toInstantOrNull, toJson, toJsonText } from './convert.js'
import type { JobsTable } from './schema.js'

/** A job as inserted: the domain job plus what idempotent submission needs. */
export type NewJob = Job & { idempotencyKey: string | null, requestHash: string | null }

/** A `jobs` row as read. */
export type JobRow = Selectable<JobsTable>

/** The one mapping from a `jobs` row to the domain `Job`. */
export function toJob (row: JobRow): Job {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    state: row.state,
    gpus: row.gpus,
    durationMinutes: row.duration_minutes,
    deadline: toInstant(row.deadline),
    notBefore: toInstantOrNull(row.not_before),
    interruptible: row.interruptible,
    minSegmentMinutes: row.min_segment_minutes,
    pools: row.pools,
    zones: row.zones,
    preferredPool: row.preferred_pool,
    wattsPerGpu: row.watts_per_gpu,
    energyKwh: row.energy_kwh,
    sciUnit: row.sci_unit,
    risk: row.risk,
    command: row.command,
    payload: row.payload,
    labels: row.labels,
    submittedAt: toInstant(row.submitted_at),
    updatedAt: toInstant(row.updated_at),
    plan: row.plan,
    ...(row.prior_plan === null || row.prior_plan === undefined ? {} : { priorPlan: row.prior_plan }),
    refusedPools: row.refused_pools,
    ...(row.work === null || row.work === undefined ? {} : { work: row.work }),
    ...(row.work_estimate === null || row.work_estimate === undefined ? {} : { workEstimate: row.work_estimate })
  }
}

/**
 * A new job's columns, with instants and JSON values written by `date` and `json` (and `nullableJson`
 * for the columns that may be SQL NULL): the one mapping behind `toJobRow` and the batch insert's
 * JSON records. `pool` and `latest_safe_start` mirror the plan.
 */
export function jobColumns<D, J, N> (job: NewJob, date: (t: Instant) => D, json: (v: unknown) => J, nullableJson: (v: unknown) => N) {
  return {
    id: job.id,
    tenant_id: job.tenantId,
    name: job.name,
    state: job.state,
    gpus: job.gpus,
    duration_minutes: job.durationMinutes,
    deadline: date(job.deadline),
    not_before: job.notBefore === null ? null : date(job.notBefore),
    interruptible: job.interruptible,
    min_segment_minutes: job.minSegmentMinutes,
    pools: json(job.pools),
    zones: json(job.zones),
    preferred_pool: job.preferredPool,
    watts_per_gpu: job.wattsPerGpu,
    energy_kwh: job.energyKwh,
    sci_unit: job.sciUnit,
    risk: job.risk,
    command: nullableJson(job.command),
    payload: nullableJson(job.payload),
    labels: json(job.labels),
    work: nullableJson(job.work ?? null),
    work_estimate: nullableJson(job.workEstimate ?? null),
    plan: nullableJson(job.plan),
    pool: job.plan?.pool ?? null,
    latest_safe_start: job.plan === null ? null : date(job.plan.latestSafeStart),
    idempotency_key: job.idempotencyKey,
    request_hash: job.requestHash,
    submitted_at: date(job.submittedAt),
    updated_at: date(job.updatedAt)
  }
}

/** The one mapping from a domain job to a `jobs` row. */
export function toJobRow (job: NewJob): Insertable<JobsTable> {
  return jobColumns(job, toDate, toJsonText, toJson)
}

/** The columns derived from a plan: the plan itself, its pool and its latest safe start. */
export function planColumns (plan: JobPlan | null): { plan: string | null, pool: string | null, latest_safe_start: Date | null } {
  return {
    plan: toJson(plan),
    pool: plan?.pool ?? null,
    latest_safe_start: plan === null ? null : toDate(plan.latestSafeStart)
  }
}

/** Thrown when a `listJobs` cursor was not made by `listJobs`; a client error (400 on `cursor`). */
export class InvalidCursorError extends Error {
  readonly code = 'invalid-cursor'

  constructor () {
    super('cursor is malformed')
    this.name = 'InvalidCursorError'
  }
}

/** A position in the (submitted_at desc, id desc) order. */
export interface JobCursor {
  submittedAt: Instant
  id: string
}

/**
 * Opaque page cursor: base64url of `[submittedAtMs, id]`. Exact because `submitted_at` is only
 * ever written from epoch milliseconds, so no microseconds are lost in the round trip.
 */
export function encodeCursor (cursor: JobCursor): string {
  return Buffer.from(JSON.stringify([cursor.submittedAt, cursor.id])).toString('base64url')
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** 9999-12-31T23:59:59.999Z: the last instant with a four-digit year, which both drivers write. */
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** Parses a cursor from `encodeCursor` into bounded values; throws `InvalidCursorError` on anything else. */
export function decodeCursor (text: string): JobCursor {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    throw new InvalidCursorError()
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw new InvalidCursorError()
  const [submittedAt, id] = parsed as unknown[]
  // Only instants a job can have been submitted at (years 1970..9999: PostgreSQL refuses ±8.64e15 ms,
  // PGlite's driver year 10000), and ids shaped like ours (UUIDs).
  if (!Number.isSafeInteger(submittedAt) || (submittedAt as number) < 0 || (submittedAt as number) > LAST_INSTANT) throw new InvalidCursorError()
  if (typeof id !== 'string' || !UUID.test(id)) throw new InvalidCursorError()
  return { submittedAt: submittedAt as number, id }
}

import { createHash } from 'node:crypto'
import type { Instant, Job } from '../core/types.js'
import { ApiError } from '../errors.js'
import { appendEvent } from '../store/events.js'
import { activeReservations, findByIdempotencyKey, insertJob, transitionJob } from '../store/jobs.js'
import { listPools, lockPools } from '../store/pools.js'
import { replacePlannedSegments } from '../store/segments.js'
import { lockTenantQueue, tenantQueue, type TenantQueue } from '../store/tenants.js'
import type { Deps } from './deps.js'
import { planFor, poolViews, withReservations } from './plan.js'
import { canonicalJson, checkShape, checkSpec, eligiblePools, jobFromSpec, planRequest, type JobSpec } from './resolve.js'

/** SHA-256 of the body in canonical form, so a reused Idempotency-Key with a different body is caught. */
function requestHash (spec: JobSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex')
}

async function replay (deps: Deps, tenantId: string, key: string, hash: string): Promise<Job | undefined> {
  const found = await findByIdempotencyKey(deps.store.db, tenantId, key)
  if (found === undefined) return undefined
  if (found.requestHash !== hash) {
    throw new ApiError(422, 'idempotency-key-reused', 'this Idempotency-Key was used with a different request body',
      [{ field: 'Idempotency-Key', message: 'reused with a different body' }])
  }
  return found.job
}

/**
 * 429 when the tenant already has its cap of queued jobs (its own, else GREENSHIFT_MAX_QUEUED_JOBS).
 * Queued means pending or planned: those wait and are planned again each tick. Dispatched and
 * running jobs are not counted: they hold GPUs, so pool capacity already bounds them, and counting
 * them would refuse work because earlier work is running.
 */
function checkQueueRoom (deps: Deps, queue: TenantQueue): void {
  const cap = queue.maxQueuedJobs ?? deps.config.maxQueuedJobs
  if (queue.queued < cap) return
  throw new ApiError(429, 'queue-full', `this tenant already has ${queue.queued} queued (pending or planned) jobs, its cap of ${cap}: wait for some to be dispatched, or cancel some`)
}

function isUniqueViolation (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505'
}

/**
 * Accepts a job: validates it, plans it against the newest forecasts and the capacity already
 * reserved, and stores job, plan, segments and events in one transaction. The eligible pools are
 * locked (`FOR UPDATE`) for the plan so two concurrent submissions cannot reserve the same GPUs;
 * the tenant's row before them, so its cap on queued jobs holds (429 `queue-full`, nothing stored).
 * Without any intensity data the job is stored `pending` and planned by the next tick.
 */
export async function submitJob (deps: Deps, tenantId: string, spec: JobSpec, idempotencyKey: string | null, now: Instant): Promise<{ job: Job, replayed: boolean }> {
  checkShape(spec)
  const hash = requestHash(spec)
  if (idempotencyKey !== null) {
    const previous = await replay(deps, tenantId, idempotencyKey, hash)
    if (previous !== undefined) return { job: previous, replayed: true }
  }
  const { deadline, notBefore } = checkSpec(spec, now)
  // Refused before planning costs anything; counted again under the tenant's lock below.
  checkQueueRoom(deps, await tenantQueue(deps.store.db, tenantId))
  const pools = eligiblePools(spec, await listPools(deps.store.db), new Set(deps.providers.keys()))
  const job = jobFromSpec(spec, tenantId, deadline, notBefore, now)
  const req = planRequest(job, pools, now)
  const views = await poolViews(deps, pools, [], req.earliestStart, deadline, now)
  try {
    const stored = await deps.store.db.transaction().execute(async trx => {
      checkQueueRoom(deps, await lockTenantQueue(trx, tenantId))
      await lockPools(trx, pools.map(p => p.name))
      const reservations = await activeReservations(trx)
      const { plan } = planFor(req, withReservations(views, reservations), now, deps)
      await insertJob(trx, { ...job, idempotencyKey, requestHash: hash })
      await appendEvent(trx, { jobId: job.id, at: new Date(now), type: 'submitted', fromState: null, toState: 'pending', reason: 'accepted', data: null })
      if (plan === undefined) return job
      await replacePlannedSegments(trx, job.id, plan.pool, plan.segments)
      const reason = `planned on ${plan.pool} from ${new Date(plan.segments[0]?.start ?? now).toISOString()}`
      return await transitionJob(trx, { id: job.id, from: ['pending'], to: 'planned', at: new Date(now), reason, plan }) ?? job
    })
    return { job: stored, replayed: false }
  } catch (err) {
    // The same key raced in by another request: its job, even if that one filled the queue.
    if (idempotencyKey !== null && (isUniqueViolation(err) || (err instanceof ApiError && err.code === 'queue-full'))) {
      const previous = await replay(deps, tenantId, idempotencyKey, hash)
      if (previous !== undefined) return { job: previous, replayed: true }
    }
    throw err
  }
}

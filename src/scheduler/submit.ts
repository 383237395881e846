import { createHash } from 'node:crypto'
import { BoundedLedger } from '../core/bounded-ledger.js'
import type { CapacityLedger } from '../core/capacity.js'
import type { Instant, Job, Pool } from '../core/types.js'
import { ApiError } from '../errors.js'
import { poolCapacity, type PoolCapacity } from '../store/capacity.js'
import { writeNewJobs } from '../store/intake-write.js'
import { findByIdempotencyKey, type NewJob } from '../store/jobs.js'
import { listPools, lockPools } from '../store/pools.js'
import type { Db } from '../store/schema.js'
import { lockTenantQueue, type TenantQueue } from '../store/tenants.js'
import type { Deps } from './deps.js'
import { flush, isUniqueViolation, withPlan, type Turn, type Waiting } from './intake-flush.js'
import { intakeState, type IntakeState } from './intake-state.js'
import { planFor, poolViews, zoneViews } from './plan.js'
import { resolveWork } from './work.js'
import { forgetZones } from './zone-cache.js'
import { canonicalJson, checkShape, checkSpec, eligiblePools, jobFromSpec, planRequest, requireCommand, type BaselineChoice, type JobSpec } from './resolve.js'

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

/**
 * Below its cap less this many queued jobs, a tenant's submission is written without taking the
 * tenant's lock: submissions under way that its count cannot see yet are far fewer than this.
 * Closer to the cap, submissions count exactly, one after the other (`acceptLocked`).
 */
const QUEUE_MARGIN = 1024
/** Optimistic tries (plan from memory, write if nothing changed) before planning under the pools' locks. */
const OPTIMISTIC_TRIES = 4

/**
 * Accepts a job: validates it, plans it against the newest forecasts and the capacity already
 * reserved, and stores job, plan, segments and events. Planning is optimistic: against the
 * reservations this process keeps in memory (`IntakeState`), then one statement locks the chosen
 * pool alone, checks that nobody added reservations to it since (its capacity version) and that
 * the tenant's queue has room, and writes everything. A changed pool is re-read and the job
 * planned again; after a few tries, or near the tenant's cap on queued jobs, the job is planned and
 * written under the tenant's and pools' locks, as exactly as before (429 `queue-full`, nothing
 * stored). Without any intensity data the job is stored `pending` and planned by the next tick.
 */
export async function submitJob (deps: Deps, tenantId: string, spec: JobSpec, idempotencyKey: string | null, now: Instant, homePool: string | null = null): Promise<{ job: Job, replayed: boolean }> {
  checkShape(spec)
  // Only a job with a key can be replayed, so only its request is hashed (and stored) to compare.
  const hash = idempotencyKey === null ? null : requestHash(spec)
  if (idempotencyKey !== null && hash !== null) {
    const previous = await replay(deps, tenantId, idempotencyKey, hash)
    if (previous !== undefined) return { job: previous, replayed: true }
  }
  const resolved = await resolveWork(deps, tenantId, spec)
  const { deadline, notBefore } = checkSpec(resolved, now)
  const job: NewJob = { ...jobFromSpec(resolved, tenantId, deadline, notBefore, now), idempotencyKey, requestHash: hash }
  try {
    return { job: await accept(deps, resolved, job, now, { home: homePool }), replayed: false }
  } catch (err) {
    // The same key raced in by another request: its job, even if that one filled the queue.
    if (idempotencyKey !== null && hash !== null && (isUniqueViolation(err) || (err instanceof ApiError && err.code === 'queue-full'))) {
      const previous = await replay(deps, tenantId, idempotencyKey, hash)
      if (previous !== undefined) return { job: previous, replayed: true }
    }
    throw err
  }
}

/** The pools the spec allows, from memory; read again once when the spec names one memory lacks. */
export async function allowedPools (deps: Deps, intake: IntakeState, spec: JobSpec): Promise<Pool[]> {
  const zones = new Set(deps.providers.keys())
  try {
    return eligiblePools(spec, await intake.poolList(), zones)
  } catch (err) {
    if (!(err instanceof ApiError)) throw err
    intake.forgetPools()
    return eligiblePools(spec, await intake.poolList(), zones)
  }
}

async function accept (deps: Deps, spec: JobSpec, job: NewJob, now: Instant, choice: BaselineChoice): Promise<Job> {
  const intake = intakeState(deps.store)
  const queue = { cap: deps.config.maxQueuedJobs, margin: QUEUE_MARGIN }
  for (let tries = 0; tries < OPTIMISTIC_TRIES; tries++) {
    const pools = await allowedPools(deps, intake, spec)
    requireCommand(spec, pools)
    const req = planRequest(job, pools, now, choice)
    // Forecasts from memory, unchecked: the write checks their versions.
    const { views, versions } = await zoneViews(deps, pools, req.earliestStart, job.deadline, now)
    const zones = new Map([...versions].filter(([, v]) => v !== '0'))
    const plan = () => planOrUndecided(() => planFor(req, views, now, deps, intake.ledger).plan)
    await intake.load(pools, now)
    const first = plan()
    if (first === 'no-capacity') {
      await confirmNoRoom(deps, intake, pools, ledger => planFor(req, views, now, deps, ledger), now)
      continue
    }
    if (first === undefined) {
      const result = await writeNewJobs(deps.store.db, { jobs: [withPlan(job, undefined)], queue })
      if (result.written) return job
      break
    }
    const pool = pools.find(p => p.name === first.pool)!
    const result = await new Promise<Turn>((resolve, reject) => {
      intake.writer<Waiting>(pool.name, async batch => { await flush(deps, intake, batch) })
        .add({ job, pool, first, plan, zones, queue, done: resolve, fail: reject })
    })
    if (result === 'alone') break
    if (result === 'no-capacity') {
      await confirmNoRoom(deps, intake, pools, ledger => planFor(req, views, now, deps, ledger), now)
      continue
    }
    if (result?.written === true) return result.job
    if (result?.why === 'queue-near-cap') break
    // A refresh landed since memory was read: read those zones again.
    if (result?.why === 'zones-changed') forgetZones(deps, zones.keys())
  }
  return await acceptLocked(deps, spec, job, now, choice)
}

/**
 * Memory found no room: throws the planner's 409 when that stands. Reservations added since memory
 * was read only take room away, so the 409 stands unless memory holds reservations released since
 * (one query tells). Else the pools' reservations are read afresh, without any lock, and planned on
 * apart from memory. Returns when there is room after all (stale pools are read again by the next plan).
 */
async function confirmNoRoom (deps: Deps, intake: IntakeState, pools: readonly Pool[], plan: (ledger: CapacityLedger) => unknown, now: Instant): Promise<void> {
  if (await intake.noUnreadReleases(pools)) plan(intake.ledger)
  plan((await readCapacity(deps.store.db, pools, now)).ledger)
}

/** The pools' reservations as the database holds them now, each with its pool's version, and all in one ledger. */
async function readCapacity (db: Db, pools: readonly Pool[], now: Instant): Promise<{ reads: Array<PoolCapacity | undefined>, ledger: BoundedLedger }> {
  const reads = await Promise.all(pools.map(async p => await poolCapacity(db, p.name, now)))
  return { reads, ledger: new BoundedLedger(reads.flatMap(r => r?.reservations ?? [])) }
}

/** The planner's answer, or 'no-capacity' instead of its 409 (which memory alone cannot decide). */
function planOrUndecided<T> (plan: () => T): T | 'no-capacity' {
  try {
    return plan()
  } catch (err) {
    if (err instanceof ApiError && err.code === 'no-capacity') return 'no-capacity'
    throw err
  }
}

/**
 * Plans and writes under the tenant's lock (the exact queue count) and every allowed pool's lock
 * (reservations read after it): the path near the cap, and after optimistic tries kept meeting
 * changed pools. Forecasts are read before the transaction (PGlite has one connection).
 */
async function acceptLocked (deps: Deps, spec: JobSpec, job: NewJob, now: Instant, choice: BaselineChoice): Promise<Job> {
  const zones = new Set(deps.providers.keys())
  const intake = intakeState(deps.store)
  const before = eligiblePools(spec, await listPools(deps.store.db), zones)
  requireCommand(spec, before)
  const req = planRequest(job, before, now, choice)
  const views = await poolViews(deps, before, [], req.earliestStart, job.deadline, now)
  // Whatever happens, memory of these pools is out of date afterwards.
  const { stored, written } = await deps.store.db.transaction().execute(async trx => {
    // Pools before the tenant, the order of a one-statement write (its pool, then the tenant's key share).
    const pools = eligiblePools(spec, await listPools(trx), zones)
    requireCommand(spec, pools)
    await lockPools(trx, pools.map(p => p.name))
    checkQueueRoom(deps, await lockTenantQueue(trx, job.tenantId))
    const { reads, ledger } = await readCapacity(trx, pools, now)
    const current = views.filter(v => pools.some(p => p.name === v.pool.name)).map(v => ({ ...v, pool: pools.find(p => p.name === v.pool.name)! }))
    const { plan } = planFor(planRequest(job, pools, now, choice), current, now, deps, ledger)
    const stored = withPlan(job, plan)
    const read = plan === undefined ? undefined : reads[pools.findIndex(p => p.name === plan.pool)]
    const poolVersion = read === undefined ? undefined : { version: read.version }
    const written = await writeNewJobs(trx, { jobs: [stored], pool: plan?.pool, poolVersion })
    return { stored, written }
  }).finally(() => { intake.forgetCapacity(before.map(p => p.name)) })
  if (!written.written) throw new Error(`a job planned under its pools' locks was not written (${written.why})`)
  return stored.job
}

import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { HOUR_MS, MINUTE_MS, type Instant, type Job, type JobPlan, type Pool } from '../src/core/types.js'
import { rng } from '../src/sim/noise.js'
import { openStore, type Store } from '../src/store/db.js'
import { toJobRow } from '../src/store/job-rows.js'
import { listPools } from '../src/store/pools.js'
import { findTenantByName } from '../src/store/tenants.js'
import type { Target } from './intake-service.js'

const DAY_MS = 24 * HOUR_MS
/** Planned segments start from an hour ahead (nothing is due for dispatch) to four weeks ahead. */
const FIRST_START_MS = HOUR_MS
const LAST_START_MS = 27 * DAY_MS
/** The latest deadline: under the service's 31-day limit. */
const LAST_DEADLINE_MS = 28 * DAY_MS
/** Jobs per multi-row INSERT: 1,000 × 25 columns stays under PostgreSQL's 65,535 parameters. */
const BATCH = 1_000

/** Opens the service's database from this process; for PGlite the service must be stopped (one process holds the directory). */
export async function openTarget (target: Target): Promise<Store> {
  return target.kind === 'postgres'
    ? await openStore({ databaseUrl: target.url })
    : await openStore({ dataDir: target.dataDir, purpose: 'greenshift bench prefill' })
}

/** A plan as `toJobPlan` stores one: a single segment on `pool`, with plausible figures. */
function planOf (pool: Pool, gpus: number, start: Instant, end: Instant, deadline: Instant, now: Instant): JobPlan {
  const energyKwh = gpus * pool.wattsPerGpu * pool.pue * (end - start) / HOUR_MS / 1000
  const figure = (gPerKwh: number) => ({ grams: energyKwh * gPerKwh, signal: 'average' as const, source: 'replay:zones-2022', method: 'expected' as const, usesFallback: false })
  return {
    pool: pool.name,
    zone: pool.zone,
    segments: [{ start, end }],
    latestSafeStart: deadline - (end - start) - 10 * MINUTE_MS,
    energyKwh,
    expected: figure(250),
    baseline: { ...figure(300), pool: pool.name, start: now },
    expectedAvoidedGrams: energyKwh * 50,
    plannedAt: now
  }
}

/** The `i`th prefilled job: 1–2 GPUs for 30–60 min, its segment somewhere in the next four weeks. */
function prefilledJob (i: number, r: () => number, pools: Pool[], tenantId: string, now: Instant): { job: Job, pool: Pool } {
  const pool = pools[i % pools.length]!
  const gpus = 1 + Math.floor(r() * 2)
  const durationMinutes = 30 + Math.floor(r() * 31)
  const start = now + FIRST_START_MS + Math.floor(r() * (LAST_START_MS - FIRST_START_MS) / MINUTE_MS) * MINUTE_MS
  const end = start + durationMinutes * MINUTE_MS
  const deadline = Math.min(now + LAST_DEADLINE_MS, end + Math.floor(r() * DAY_MS))
  const job: Job = {
    id: randomUUID(), tenantId, name: `prefill-${i}`, state: 'planned', gpus, durationMinutes, deadline, notBefore: null,
    interruptible: false, minSegmentMinutes: 30, pools: [], zones: [], preferredPool: null, wattsPerGpu: null, energyKwh: null, sciUnit: 'job', risk: 'neutral',
    command: ['python', 'train.py', '--config', `sweep/${i}.yaml`], payload: null, labels: { team: 'bench', sweep: String(i % 100) },
    submittedAt: now, updatedAt: now, plan: planOf(pool, gpus, start, end, deadline, now), refusedPools: []
  }
  return { job, pool }
}

/**
 * Empties the job tables and fills them with `count` planned jobs of the `default` tenant, each with
 * its two events (submitted, planned) and one planned segment, in multi-row INSERTs of 1,000: the
 * rows a submission would have written, without the service. Returns the seconds it took.
 */
export async function prefill (store: Store, count: number, now: Instant): Promise<number> {
  const started = performance.now()
  const db = store.db
  await sql`truncate jobs cascade`.execute(db)
  const tenant = await findTenantByName(db, 'default')
  if (tenant === undefined) throw new Error('no tenant "default": start the service once first (it creates the admin key)')
  const pools = (await listPools(db)).filter(p => p.enabled)
  const r = rng(count + 1)
  for (let from = 0; from < count; from += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - from) }, (_, k) => prefilledJob(from + k, r, pools, tenant.id, now))
    const at = new Date(now)
    await db.transaction().execute(async trx => {
      await trx.insertInto('jobs').values(batch.map(({ job }) => toJobRow({ ...job, idempotencyKey: null, requestHash: null }))).execute()
      await trx.insertInto('job_events').values(batch.flatMap(({ job, pool }) => [
        { job_id: job.id, at, type: 'submitted', from_state: null, to_state: 'pending', reason: 'accepted', data: null },
        { job_id: job.id, at, type: 'transition', from_state: 'pending', to_state: 'planned', reason: `planned on ${pool.name}`, data: null }
      ])).execute()
      await trx.insertInto('job_segments').values(batch.map(({ job, pool }) => ({
        job_id: job.id, kind: 'planned' as const, pool: pool.name,
        start_at: new Date(job.plan!.segments[0]!.start), end_at: new Date(job.plan!.segments[0]!.end)
      }))).execute()
    })
  }
  await sql`analyze jobs`.execute(db)
  await sql`analyze job_segments`.execute(db)
  await sql`analyze job_events`.execute(db)
  return (performance.now() - started) / 1000
}

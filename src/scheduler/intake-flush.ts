import type { Job, JobPlan, Pool, Reservation } from '../core/types.js'
import { writeNewJobs, type IntakeEvent, type IntakeResult, type NewJobRows } from '../store/intake-write.js'
import type { NewJob } from '../store/jobs.js'
import type { Deps } from './deps.js'
import type { IntakeState } from './intake-state.js'

// How submissions to one pool are written together: see `flush`.

/** The database refused a duplicate (SQLSTATE 23505): here, a taken idempotency key. */
export function isUniqueViolation (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505'
}

/** The job as stored, with its events and segments: planned with its plan, or pending without one. */
export function withPlan (job: NewJob, plan: JobPlan | undefined): NewJobRows {
  const at = new Date(job.submittedAt)
  const events: IntakeEvent[] = [{ at, type: 'submitted', fromState: null, toState: 'pending', reason: 'accepted' }]
  if (plan === undefined) return { job, events, segments: [] }
  const reason = `planned on ${plan.pool} from ${new Date(plan.segments[0]?.start ?? job.submittedAt).toISOString()}`
  events.push({ at, type: 'transition', fromState: 'pending', toState: 'planned', reason })
  return { job: { ...job, state: 'planned', plan }, events, segments: plan.segments }
}

/** How a submission's wait at its pool's writer ended: written, refused (and why), no room in memory, write it alone, or plan again. */
export type Turn = { written: true, job: Job } | Extract<IntakeResult, { written: false }> | 'no-capacity' | 'alone' | undefined

/** A submission waiting for its pool's next write. */
export interface Waiting {
  job: NewJob
  pool: Pool
  /** The plan made before waiting. */
  first: JobPlan
  /** Plans the job again on memory as it is now (earlier jobs of the batch held). */
  plan: () => JobPlan | 'no-capacity' | undefined
  zones: ReadonlyMap<string, string>
  queue: { cap: number, margin: number }
  done: (turn: Turn) => void
  fail: (err: unknown) => void
}

/** Adds `more` to `into` unless a zone is in both at different versions (a refresh landed between two plans). */
function joinZones (into: Map<string, string>, more: ReadonlyMap<string, string>): boolean {
  if ([...more].some(([zone, version]) => (into.get(zone) ?? version) !== version)) return false
  for (const [zone, version] of more) into.set(zone, version)
  return true
}

/**
 * Writes a batch of submissions to one pool in one statement. Each is checked against memory as it
 * is now, with the batch's earlier jobs held (planned again if its window was taken; sent back if
 * it now belongs on another pool), then all are written on the pool's version as memory holds it.
 * Refused, or failed, nothing of the batch stays in memory. Every submission is answered once.
 */
export async function flush (deps: Deps, intake: IntakeState, batch: Waiting[]): Promise<void> {
  const lead = batch[0]!
  const pool = lead.pool.name
  const taken: Array<{ w: Waiting, rows: NewJobRows }> = []
  const held: Reservation[] = []
  const release = () => {
    for (const r of held) intake.ledger.release(r)
    intake.forgetCapacity([pool])
  }
  const zones = new Map<string, string>()
  try {
    await intake.load([lead.pool], Math.min(...batch.map(w => w.job.submittedAt)), true)
    const poolVersion = intake.versionOf(pool)
    for (const w of batch) {
      if (poolVersion === undefined || !joinZones(zones, w.zones)) {
        w.done(undefined)
        continue
      }
      const plan = intake.fits(w.pool, w.job.gpus, w.first.segments) ? w.first : w.plan()
      if (plan === 'no-capacity' || plan === undefined || plan.pool !== pool) {
        w.done(plan === 'no-capacity' ? plan : undefined)
        continue
      }
      for (const s of plan.segments) {
        const r = { pool, gpus: w.job.gpus, start: s.start, end: s.end }
        intake.ledger.reserve(r)
        held.push(r)
      }
      taken.push({ w, rows: withPlan(w.job, plan) })
    }
    if (taken.length === 0 || poolVersion === undefined) return
    const result = await writeNewJobs(deps.store.db, { jobs: taken.map(t => t.rows), pool, poolVersion, queue: lead.queue, zones })
    if (result.written && result.poolVersion !== null) {
      intake.confirm(pool, result.poolVersion, result.released)
      for (const t of taken) t.w.done({ written: true, job: t.rows.job })
      return
    }
    release()
    if (!result.written && result.why === 'pool-changed') intake.forgetPools()
    for (const t of taken) t.w.done(result.written ? undefined : result)
  } catch (err) {
    release()
    // One job's taken idempotency key fails the whole statement: the others are written alone.
    for (const t of taken) {
      if (taken.length > 1 && isUniqueViolation(err)) t.w.done('alone')
      else t.w.fail(err)
    }
    if (taken.length === 0) for (const w of batch) w.fail(err)
  }
}


import { replanMoves, type Move, type PlannedJob } from '../core/replan.js'
import { expectedGrams, MINUTE_MS, type Instant, type Job, type JobPlan, type Placement, type Pool } from '../core/types.js'
import { activeReservations, getJobById } from '../store/jobs.js'
import { bumpCapacityVersions } from '../store/capacity.js'
import { writePlanChanges, type PlanChange, type PlanPatch } from '../store/moves.js'
import { listPools, lockPools } from '../store/pools.js'
import { getRun } from '../store/runs.js'
import { waitingJobs, type WaitingJob } from '../store/waiting.js'
import type { Deps } from './deps.js'
import { executorOf } from './executors.js'
import { within, type Pass } from './pass.js'
import { expectedFigure, poolViews, withReservations } from './plan.js'
import { allowedPools, planRequest } from './resolve.js'
import { errorMessage } from '../errors.js'

/**
 * A job that may move; when it was handed over, the whole job and its run's executor reference
 * (read before the transaction), which its executor is given to move it.
 */
type Movable = WaitingJob & { handedOver: { job: Job, plan: JobPlan, ref: string | null } | null }

/**
 * Re-plans jobs that have not started on the newest forecasts: `planned` jobs anywhere they are
 * allowed, and jobs already handed to an executor that can move them (Slurm's `begin_time`) within
 * their pool. A job moves only when it saves more than both hysteresis thresholds, never past its
 * latest safe start, and all moves together respect capacity; each move is an event with the
 * figures before and after. Returns the number of jobs moved.
 */
export async function replanWaiting (deps: Deps, now: Instant, pass: Pass): Promise<number> {
  const pools = await listPools(deps.store.db)
  const byName = new Map(pools.map(p => [p.name, p]))
  const waiting = await movableJobs(deps, byName, now)
  if (waiting.length === 0) return 0
  const horizon = Math.max(...waiting.map(j => j.deadline))
  const views = await poolViews(deps, pools, [], now, horizon, now)
  const safetyMarginMs = deps.config.planning.safetyMarginMinutes * MINUTE_MS
  const threshold = { grams: deps.config.planning.replanMinGrams, percent: deps.config.planning.replanMinPercent }
  if (waiting.some(j => j.state === 'dispatched')) await pass.guard.renew()
  return await deps.store.db.transaction().execute(async trx => {
    await pass.guard.check(trx)
    await lockPools(trx, pools.map(p => p.name))
    const current: PlannedJob[] = waiting.map(job => ({
      id: job.id,
      // As submitted: its window starts at max(submittedAt, notBefore); a handed-over job stays in its pool.
      req: planRequest(job, job.state === 'planned' ? allowedPools(job, pools) : [byName.get(job.placement.pool)!], job.submittedAt, { pinned: job.baselinePool }),
      placement: job.placement,
      started: false
    }))
    // Only the others' GPUs: replanMoves ignores the reservations of the jobs it re-plans.
    const others = await activeReservations(trx, waiting.map(j => j.id))
    const moves = replanMoves(current, withReservations(views, others), now, threshold, { safetyMarginMs })
    // The moves fit together only as a prefix, in the order returned: stop at the first one an executor refuses.
    const byId = new Map(waiting.map(j => [j.id, j]))
    const changes: PlanChange[] = []
    for (const move of moves) {
      const job = byId.get(move.id)!
      if (job.state === 'dispatched' && !await reschedule(deps, job, byName, move, now, pass)) break
      changes.push(planChange(job, move, now))
    }
    await writePlanChanges(trx, changes, now)
    // Reservations were added: views of these pools read before are out of date.
    if (changes.length > 0) await bumpCapacityVersions(trx, pools.map(p => p.name))
    return changes.length
  })
}

async function movableJobs (deps: Deps, pools: Map<string, Pool>, now: Instant): Promise<Movable[]> {
  const out: Movable[] = []
  for (const job of await waitingJobs(deps.store.db, ['planned', 'dispatched'], now)) {
    if (job.state !== 'dispatched') {
      out.push({ ...job, handedOver: null })
      continue
    }
    const pool = pools.get(job.placement.pool)
    if (pool === undefined || executorOf(deps, pool).reschedule === undefined) continue
    const run = await getRun(deps.store.db, job.id, job.attempt)
    const full = await getJobById(deps.store.db, job.id)
    if (run === undefined || run.acceptedAt === null || run.startedAt !== null || full === undefined || full.plan === null) continue
    out.push({ ...job, handedOver: { job: full, plan: full.plan, ref: run.ref } })
  }
  return out
}

/** What a move changes in a job's plan: placement and expected figure; the baseline stays as planned at submission. */
function movedFields (baselineGrams: number, to: Placement, now: Instant): PlanPatch {
  return {
    pool: to.pool,
    zone: to.zone,
    segments: to.segments,
    energyKwh: to.energyKwh,
    expected: expectedFigure(to),
    expectedAvoidedGrams: baselineGrams - expectedGrams(to),
    plannedAt: now
  }
}

/** What a move writes: the job's plan fields (its state unchanged) and its `replanned` event. */
function planChange (job: Movable, move: Move, now: Instant): PlanChange {
  const start = (p: Placement) => new Date(p.segments[0]?.start ?? now).toISOString()
  const reason = `re-planned on a new forecast: ${move.from.pool} ${start(move.from)} → ${move.to.pool} ${start(move.to)}, saving ${move.savingGrams.toFixed(1)} g (${move.savingPercent.toFixed(1)} %)`
  return {
    id: job.id,
    state: job.state,
    patch: movedFields(job.baselineGrams, move.to, now),
    reason,
    data: { from: { pool: move.from.pool, segments: move.from.segments, grams: move.from.grams }, to: { pool: move.to.pool, segments: move.to.segments, grams: move.to.grams }, savingGrams: move.savingGrams, signal: move.to.signal, source: move.to.source }
  }
}

/**
 * A handed-over job's executor is told the new start (Slurm moves `begin_time`); false when it
 * refuses (e.g. the job started meanwhile) or does not answer within the pass's per-call timeout.
 * Called inside the re-plan transaction, so it must not touch the database: on PGlite that
 * transaction holds the only connection.
 */
async function reschedule (deps: Deps, job: Movable, pools: Map<string, Pool>, move: Move, now: Instant, pass: Pass): Promise<boolean> {
  const pool = pools.get(move.to.pool)
  const start = move.to.segments[0]?.start
  const executor = pool === undefined ? undefined : executorOf(deps, pool)
  const shift = executor?.reschedule
  if (pool === undefined || shift === undefined || start === undefined || job.handedOver === null) return false
  try {
    const { plan } = job.handedOver
    const h = { job: job.handedOver.job, plan: { ...plan, ...movedFields(plan.baseline.grams, move.to, now) }, pool, attempt: job.attempt, ref: job.handedOver.ref }
    await within(pass, `the ${pool.executor.kind} executor of ${pool.name}: reschedule`, async signal => { await shift(h, start, signal) })
    return true
  } catch (err) {
    deps.log.warn({ job: job.id, err: errorMessage(err) }, 'moving a handed-over job failed; it keeps its old start')
    return false
  }
}

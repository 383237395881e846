import { planJointly } from '../core/joint.js'
import { planJobs } from '../core/planner.js'
import { MINUTE_MS, type Instant, type Job, type JobPlan, type PlanOutcome, type PlanRequest } from '../core/types.js'
import { activeReservations, jobsInState, transitionJob } from '../store/jobs.js'
import { bumpCapacityVersions } from '../store/capacity.js'
import { listPools, lockPools } from '../store/pools.js'
import { writeNewPlans, type NewPlan } from '../store/moves.js'
import { tenantHomePools } from '../store/tenants.js'
import type { Deps } from './deps.js'
import { poolViews, toJobPlan, withReservations } from './plan.js'
import { allowedPools, planRequest } from './resolve.js'
import { errorMessage } from '../errors.js'

type Views = ReturnType<typeof withReservations>
type Request = PlanRequest & { id: string }

/**
 * Past its latest safe start a pending job cannot wait for data any longer: it is planned to start
 * at once on a flat placeholder series, labelled as fallback with source `unavailable`.
 */
function placeholderViews (views: Views, now: Instant, until: Instant): Views {
  return views.map(v => v.series.points.length > 0 ? v : {
    ...v,
    series: { ...v.series, source: 'unavailable', fallbackFrom: now, points: [{ start: now, end: until, gPerKwh: 0 }] }
  })
}

/**
 * Plans jointly; when the joint planner throws (one job's request or one zone's series it cannot
 * handle), plans each job alone, so that only the job that fails stays pending (and is noted).
 */
function planEach (deps: Deps, reqs: Request[], views: Views, now: Instant, marginMs: number, errors: string[]): Map<string, PlanOutcome> {
  try {
    return planJointly(reqs, views, now, { safetyMarginMs: marginMs })
  } catch (err) {
    deps.log.error({ err }, 'joint planning failed; planning the pending jobs one at a time')
    const outcomes = new Map<string, PlanOutcome>()
    for (const req of reqs) {
      try {
        for (const [id, outcome] of planJointly([req], views, now, { safetyMarginMs: marginMs })) outcomes.set(id, outcome)
      } catch (one) {
        errors.push(`plan job ${req.id}: ${errorMessage(one)}`)
      }
    }
    return outcomes
  }
}

/**
 * The tick's planning step: plans every `pending` job jointly under the pools' locks; fails the
 * ones that can no longer start in time, with the cause; forces a labelled plan for jobs at their
 * latest safe start that have no data to plan on. Forecasts are read before the transaction: PGlite
 * has one connection, held by the transaction.
 */
export async function planPending (deps: Deps, now: Instant, errors: string[]): Promise<{ planned: number, failed: number, stillPending: number }> {
  const pending = await jobsInState(deps.store.db, ['pending'])
  if (pending.length === 0) return { planned: 0, failed: 0, stillPending: 0 }
  const pools = await listPools(deps.store.db)
  const horizon = Math.max(...pending.map(j => j.deadline))
  const views = await poolViews(deps, pools, [], now, horizon, now)
  const marginMs = deps.config.planning.safetyMarginMinutes * MINUTE_MS
  return await deps.store.db.transaction().execute(async trx => {
    await lockPools(trx, pools.map(p => p.name))
    const reserved = withReservations(views, await activeReservations(trx))
    let failed = 0
    const plannable: Job[] = []
    for (const job of pending) {
      const reason = job.deadline - job.durationMinutes * MINUTE_MS < now ? 'deadline-missed: no plan could be made before the job had to start'
        : allowedPools(job, pools).length === 0 ? null : undefined
      if (reason === undefined) plannable.push(job)
      else if (reason !== null) {
        await transitionJob(trx, { id: job.id, from: ['pending'], to: 'failed', at: new Date(now), reason })
        failed++
      }
    }
    const homes = plannable.length === 0 ? new Map<string, string>() : await tenantHomePools(trx)
    const reqs = plannable.map(job => ({
      id: job.id,
      ...planRequest(job, allowedPools(job, pools), now, { home: homes.get(job.tenantId) ?? null, ...(job.priorPlan === undefined ? {} : { pinned: job.priorPlan.baseline.pool }) })
    }))
    const outcomes = planEach(deps, reqs, reserved, now, marginMs, errors)
    const urgent = plannable.filter(j => outcomes.get(j.id)?.ok !== true && now >= j.deadline - j.durationMinutes * MINUTE_MS - marginMs)
    const urgentIds = new Set(urgent.map(j => j.id))
    const forced = planJobs(reqs.filter(r => urgentIds.has(r.id)), placeholderViews(reserved, now, horizon), now, { safetyMarginMs: marginMs })
    const plans = plannable.flatMap(job => newPlan(job, forced.get(job.id) ?? outcomes.get(job.id), now) ?? [])
    const planned = await writeNewPlans(trx, plans, now)
    // Reservations were added: views of these pools read before are out of date.
    if (planned > 0) await bumpCapacityVersions(trx, pools.map(p => p.name))
    return { planned, failed, stillPending: pending.length - planned - failed }
  })
}

/** The plan a job is moved to `planned` with, and its event's reason; undefined when it stays pending. */
function newPlan (job: Job, outcome: PlanOutcome | undefined, now: Instant): NewPlan | undefined {
  if (outcome === undefined || !outcome.ok) return undefined
  const plan = keepingBaseline(toJobPlan(outcome, now), job.priorPlan?.baseline)
  return { id: job.id, plan, reason: `planned by the scheduler on ${plan.pool}${plan.expected.usesFallback ? ' (fallback intensity)' : ''}` }
}

/**
 * A job planned again after it went back to planning keeps the counterfactual of its first plan
 * (the baseline pool, its start at max(submittedAt, notBefore), its figure), as a re-plan does:
 * a new baseline at the re-plan would count the time lost as avoided.
 */
function keepingBaseline (plan: JobPlan, prior: JobPlan['baseline'] | undefined): JobPlan {
  if (prior === undefined) return plan
  return { ...plan, baseline: prior, expectedAvoidedGrams: prior.grams - plan.expected.grams }
}

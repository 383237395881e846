import type { Instant, Job, JobRun, RunOutcome } from '../core/types.js'
import { appendEvent, type NewJobEvent } from '../store/events.js'
import { getJobById, transitionJob } from '../store/jobs.js'
import { getRun, insertMeasurement, updateRun } from '../store/runs.js'
import { insertActualSegment, replacePlannedSegments } from '../store/segments.js'
import type { Db } from '../store/schema.js'
import type { Deps } from './deps.js'

/**
 * The run lifecycle shared by every executor: the agent API, webhook callbacks and Slurm polling
 * all report through these functions, so states, events and the ledger's inputs are kept one way.
 * Each takes the (job id, attempt) it reports on; a report about an attempt that is no longer the
 * job's current one, or about a closed run, changes nothing and says so.
 */

/** Whether a report was applied, and whether the executor should stop the run (job cancelled or run superseded). */
export interface ReportResult {
  applied: boolean
  cancel: boolean
  job: Job | undefined
}

async function current (db: Db, jobId: string, attempt: number): Promise<{ job: Job & { attempt: number }, run: JobRun } | undefined> {
  const job = await getJobById(db, jobId)
  if (job === undefined || job.attempt !== attempt) return undefined
  const run = await getRun(db, jobId, attempt)
  return run === undefined ? undefined : { job, run }
}

/** An event for the job's history that goes with a report, e.g. the raw values of an implausible one. */
export type RunNote = Pick<NewJobEvent, 'type' | 'reason' | 'data'>

/**
 * The run has started at `at`: the job moves dispatched → running. Repeated reports are harmless.
 * `note` is appended in the same transaction when the report is applied.
 */
export async function startRun (deps: Deps, jobId: string, attempt: number, at: Instant, now: Instant, note?: RunNote): Promise<ReportResult> {
  return await deps.store.db.transaction().execute(async trx => {
    const result = await startIn(trx, jobId, attempt, at, now)
    if (result.applied && note !== undefined) await appendEvent(trx, { jobId, at: new Date(now), ...note })
    return result
  })
}

/** `startRun` inside the caller's transaction (the agent claim locks the job first). */
export async function startIn (trx: Db, jobId: string, attempt: number, at: Instant, now: Instant, ref?: string): Promise<ReportResult> {
  const cur = await current(trx, jobId, attempt)
  if (cur === undefined || cur.run.outcome !== null) return { applied: false, cancel: true, job: cur?.job }
  const run = await updateRun(trx, jobId, attempt, { startedAt: at, acceptedAt: at, heartbeat: true, ...(ref === undefined ? {} : { ref }) })
  // Closed since it was read (a watchdog or a final report won the race): this report changes nothing.
  if (run === undefined) return { applied: false, cancel: true, job: cur.job }
  const moved = await transitionJob(trx, { id: jobId, from: ['dispatched'], to: 'running', at: new Date(now), reason: `started on ${cur.run.pool} at ${new Date(at).toISOString()}` })
  const job = moved ?? cur.job
  return { applied: true, cancel: job.state === 'cancelled', job }
}

/** A sign of life with progress (0..1) and, when measured, power now (W) and energy so far (kWh). */
export async function heartbeatRun (
  deps: Deps, jobId: string, attempt: number, now: Instant,
  sample: { progress?: number | null, powerW?: number | null, energyKwh?: number | null }
): Promise<ReportResult> {
  return await deps.store.db.transaction().execute(async trx => {
    const cur = await current(trx, jobId, attempt)
    if (cur === undefined || cur.run.outcome !== null) return { applied: false, cancel: true, job: cur?.job }
    const run = await updateRun(trx, jobId, attempt, { heartbeat: true, ...(sample.progress === undefined || sample.progress === null ? {} : { progress: sample.progress }) })
    if (run === undefined) return { applied: false, cancel: true, job: cur.job }
    const powerW = sample.powerW ?? null
    const energyKwh = sample.energyKwh ?? null
    if (powerW !== null || energyKwh !== null) {
      await insertMeasurement(trx, { jobId, attempt, at: now, powerW, energyKwh })
    }
    return { applied: true, cancel: cur.job.state === 'cancelled', job: cur.job }
  })
}

/** How a run ended, as reported. `energyKwh` is measured energy at the wall, or null (then estimated). */
export interface RunEnd {
  exitCode: number | null
  startedAt: Instant | null
  finishedAt: Instant
  energyKwh: number | null
  detail?: string | null
  /** Default: `succeeded` for exit code 0, else `failed`. */
  outcome?: RunOutcome
  /** Appended to the job's history by the call that closes the run. */
  note?: RunNote
}

/**
 * Closes the run, records the actual segment it ran, and moves the job to succeeded or failed (a
 * cancelled job stays cancelled). The close is one conditional update: when two reporters race
 * (a webhook `finished` and the silence watchdog, an agent's `complete` and a lost-run release),
 * exactly one closes the run and records its segment and events; the other changes nothing.
 * Returns whether this call closed it.
 */
export async function finishRun (deps: Deps, jobId: string, attempt: number, end: RunEnd, now: Instant): Promise<ReportResult> {
  return await deps.store.db.transaction().execute(async trx => {
    const cur = await current(trx, jobId, attempt)
    if (cur === undefined || cur.run.outcome !== null) return { applied: false, cancel: false, job: cur?.job }
    const outcome = cur.job.state === 'cancelled' ? 'cancelled' : end.outcome ?? (end.exitCode === 0 ? 'succeeded' : 'failed')
    const closed = await updateRun(trx, jobId, attempt, {
      ...(end.startedAt === null ? {} : { startedAt: end.startedAt }),
      finishedAt: end.finishedAt,
      exitCode: end.exitCode,
      energyKwh: end.energyKwh,
      outcome,
      detail: end.detail ?? null
    })
    if (closed === undefined) return { applied: false, cancel: false, job: cur.job }
    if (end.note !== undefined) await appendEvent(trx, { jobId, at: new Date(now), ...end.note })
    const { startedAt, finishedAt } = closed
    if (startedAt !== null && finishedAt !== null && finishedAt > startedAt) {
      await insertActualSegment(trx, jobId, attempt, cur.run.pool, { start: startedAt, end: finishedAt })
    }
    let job: Job | undefined = cur.job
    if (outcome === 'succeeded' || outcome === 'failed') {
      const reason = outcome === 'succeeded'
        ? `finished on ${cur.run.pool} with exit code 0`
        : `failed on ${cur.run.pool}: ${end.detail ?? `exit code ${end.exitCode ?? 'unknown'}`}`
      job = await transitionJob(trx, { id: jobId, from: ['dispatched', 'running'], to: outcome, at: new Date(now), reason, data: { exitCode: end.exitCode, energyKwh: end.energyKwh } }) ?? job
      await replacePlannedSegments(trx, jobId, cur.run.pool, [])
      if (finishedAt !== null && finishedAt > cur.job.deadline && startedAt !== null) await appendEvent(trx, lateEvent(cur.job, startedAt, finishedAt, now))
    }
    return { applied: true, cancel: false, job }
  })
}

/** The `deadline-missed` event of a run that finished after its job's deadline, with the cause. */
function lateEvent (job: Job, startedAt: Instant, finishedAt: Instant, now: Instant): NewJobEvent {
  const late = Math.ceil((finishedAt - job.deadline) / 60_000)
  const lss = job.plan?.latestSafeStart
  const cause = lss !== undefined && startedAt > lss
    ? `it started at ${new Date(startedAt).toISOString()}, after its latest safe start ${new Date(lss).toISOString()}`
    : `it ran ${Math.round((finishedAt - startedAt) / 60_000)} min against ${job.durationMinutes} min expected`
  return { jobId: job.id, at: new Date(now), type: 'deadline-missed', reason: `finished ${late} min after its deadline: ${cause}` }
}

/** What the executor reported of a run it gave back (an agent's requeue): its times and energy, which the ledger counts. */
export interface LostRunReport {
  /** Null when the executor did not say; the start stored (if any) stands. */
  startedAt: Instant | null
  finishedAt: Instant
  /** At the facility boundary, as `RunEnd.energyKwh`; null when not measured. */
  energyKwh: number | null
}

/**
 * The run is gone without a result (its agent stopped heart-beating, or the executor lost it): it is
 * closed as `lost` and the job goes back to `pending`, so the next tick plans it again within its
 * deadline (or fails it with the cause when it no longer fits). Only the caller that closes the run
 * moves the job. Returns whether this call closed it.
 */
export async function loseRun (deps: Deps, jobId: string, attempt: number, reason: string, now: Instant, reported?: LostRunReport): Promise<boolean> {
  return await deps.store.db.transaction().execute(async trx => {
    const cur = await current(trx, jobId, attempt)
    if (cur === undefined || cur.run.outcome !== null) return false
    const closed = await updateRun(trx, jobId, attempt, {
      outcome: 'lost',
      finishedAt: reported?.finishedAt ?? now,
      detail: reason,
      ...(reported === undefined || reported.startedAt === null ? {} : { startedAt: reported.startedAt }),
      ...(reported === undefined ? {} : { energyKwh: reported.energyKwh })
    })
    if (closed === undefined) return false
    await transitionJob(trx, { id: jobId, from: ['dispatched', 'running'], to: 'pending', at: new Date(now), reason, plan: null })
    await replacePlannedSegments(trx, jobId, cur.run.pool, [])
    return true
  })
}

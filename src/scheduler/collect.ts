import { checkReport, runFacts } from '../core/plausible.js'
import { HOUR_MS, MINUTE_MS, type Instant, type Pool } from '../core/types.js'
import { isPermanent, type Executor } from '../executors/executor.js'
import { appendEvent } from '../store/events.js'
import { listPools } from '../store/pools.js'
import { openRuns, updateRun, type OpenRun } from '../store/runs.js'
import type { Deps } from './deps.js'
import { executorOf } from './executors.js'
import { handoverOf } from './handover.js'
import { forEachBounded, within, type Pass } from './pass.js'
import { implausibleNote } from './report-note.js'
import { finishRun, loseRun, startRun } from './runs.js'
import { isolated } from './step.js'
import { errorMessage } from '../errors.js'

/** Marks a run whose cancel reached its executor, so the tick does not send it again. */
const CANCEL_SENT = 'cancel delivered'
/** A run dispatched late (the scheduler was down) still gets this long to start before it is given up. */
const START_GRACE_MS = 15 * MINUTE_MS
/** An executor that keeps refusing a cancel (not for good) is given up on after this long; the run is closed. */
const CANCEL_GIVE_UP_MS = HOUR_MS

export interface CollectResult {
  polled: number
  finished: number
  cancelled: number
  lost: number
  /** Runs that never started in time and were failed with the cause. */
  expired: number
}

/** One open run and what watching it needs. */
interface Watched extends OpenRun {
  pool: Pool
  executor: Executor
}

/**
 * Brings in what executors know and watches every open run: polls Slurm-like executors, passes
 * cancels on, releases runs whose agent or webhook receiver went silent, and fails runs that never
 * started while the job could still meet its deadline. Executor calls run concurrently within the
 * pass's limits; one run's failure is logged in `errors` and tried again on the next tick (a lost
 * lease or an unreachable database ends the pass).
 */
export async function collectRuns (deps: Deps, now: Instant, pass: Pass, errors: string[]): Promise<CollectResult> {
  const pools = new Map((await listPools(deps.store.db)).map(p => [p.name, p]))
  const result: CollectResult = { polled: 0, finished: 0, cancelled: 0, lost: 0, expired: 0 }
  const calls: Array<{ what: string, call: () => Promise<void> }> = []
  for (const open of await openRuns(deps.store.db, ['dispatched', 'running', 'cancelled'])) {
    const pool = pools.get(open.run.pool)
    if (pool === undefined) continue
    const w: Watched = { ...open, pool, executor: executorOf(deps, pool) }
    const { job, run, executor } = w
    const what = `watch job ${job.id}`
    if (job.state === 'cancelled') calls.push({ what, call: async () => { result.cancelled += await passCancel(deps, w, now, pass) ? 1 : 0 } })
    else if (run.startedAt === null && now > Math.max(job.deadline - job.durationMinutes * MINUTE_MS, run.dispatchedAt + START_GRACE_MS)) {
      calls.push({ what, call: async () => { result.expired += await expire(deps, w, now, pass) ? 1 : 0 } })
    } else if (executor.poll !== undefined) {
      if (run.acceptedAt === null) continue
      calls.push({ what, call: async () => { result.polled++; result.finished += await poll(deps, w, now, pass) ? 1 : 0 } })
    } else result.lost += await isolated(deps, errors, what, async () => await expireSilent(deps, w, now), false) ? 1 : 0
  }
  await forEachBounded(pass, calls, async ({ what, call }) => { await isolated(deps, errors, what, call, undefined) })
  return result
}

/**
 * Asks the executor for the run's state and records what changed; true when the run ended. A
 * cancelled job's run is polled until the executor reports it stopped, and closes as cancelled.
 * Nobody can be answered here, so an implausible report (see `checkReport`) is booked clamped into
 * the run's window with its energy estimated, and the raw report kept in a `report-implausible` event.
 */
async function poll (deps: Deps, { job, run, pool, executor }: Watched, now: Instant, pass: Pass): Promise<boolean> {
  const h = handoverOf(job, run, pool)
  const ask = executor.poll
  if (h === undefined || ask === undefined) return false
  const report = await within(pass, `the ${executor.kind} executor of ${pool.name}: poll`, signal => ask(h, signal))
  if (report.state === 'queued') return false
  const reported = report.state === 'running'
    ? { startedAt: report.startedAt ?? now, metered: 'wall' as const }
    : { startedAt: report.startedAt, finishedAt: report.finishedAt ?? now, energyKwh: report.energyKwh, metered: 'wall' as const }
  const { problems, booked } = checkReport(runFacts(run, job, pool), reported, now)
  const note = problems.length === 0 ? undefined : implausibleNote(`the ${executor.kind} executor of ${pool.name}`, run.attempt, reported, problems)
  if (report.state === 'running') {
    // A start is booked once; later polls repeat it, and their start is not booked again.
    if (job.state !== 'cancelled') await startRun(deps, run.jobId, run.attempt, booked.startedAt ?? now, now, run.startedAt === null ? note : undefined)
    return false
  }
  const end = { exitCode: report.exitCode, startedAt: booked.startedAt, finishedAt: booked.finishedAt ?? now, energyKwh: booked.energyKwh, ...(note === undefined ? {} : { note }) }
  if (job.state === 'cancelled') await finishRun(deps, run.jobId, run.attempt, { ...end, detail: 'cancelled', outcome: 'cancelled' }, now)
  else if (report.state === 'cancelled') await finishRun(deps, run.jobId, run.attempt, { ...end, detail: `cancelled in ${executor.kind}, not by greenshift`, outcome: 'failed' }, now)
  else await finishRun(deps, run.jobId, run.attempt, { ...end, detail: report.detail, outcome: report.state }, now)
  return true
}

/**
 * A run that has not started by the last instant the job could start and still meet its deadline
 * (no agent claimed it, Slurm kept it queued, a receiver never said `started`), nor within 15 min of
 * a late dispatch: the executor is told to drop it and the job fails with that cause rather than
 * sit `dispatched` for ever.
 */
async function expire (deps: Deps, w: Watched, now: Instant, pass: Pass): Promise<boolean> {
  const { job, run, pool, executor } = w
  await cancelOrGiveUp(deps, w, now, pass, job.deadline - job.durationMinutes * MINUTE_MS)
  const detail = `deadline-missed: the ${executor.kind} executor of ${pool.name} had not started the job by ${new Date(job.deadline - job.durationMinutes * MINUTE_MS).toISOString()}, the last start that meets the deadline`
  return (await finishRun(deps, run.jobId, run.attempt, { exitCode: null, startedAt: null, finishedAt: now, energyKwh: null, detail, outcome: 'failed' }, now)).applied
}

/**
 * A cancelled job's open run: the executor is told (Slurm and webhook alike, even when the hand-over
 * was never confirmed: the reply may have been lost after the executor took it). A run that never
 * started is closed at once; a started one by its executor's final report (Slurm's poll, the
 * agent's completion), which brings the energy it used until it stopped. A webhook run is closed at
 * once, without energy: a receiver's late `finished` is no longer applied. An executor that refuses
 * the cancel for good, or for an hour, is given up on and the run closed.
 */
async function passCancel (deps: Deps, w: Watched, now: Instant, pass: Pass): Promise<boolean> {
  const { job, run, pool, executor } = w
  if (run.detail?.startsWith(CANCEL_SENT) === true && run.startedAt !== null) {
    return executor.poll === undefined ? await expireSilent(deps, w, now) : await poll(deps, w, now, pass)
  }
  if (handoverOf(job, run, pool) === undefined) return false
  await cancelOrGiveUp(deps, w, now, pass, job.updatedAt)
  await updateRun(deps.store.db, run.jobId, run.attempt, { detail: `${CANCEL_SENT} at ${new Date(now).toISOString()}` })
  await appendEvent(deps.store.db, { jobId: run.jobId, at: new Date(now), type: 'cancel-delivered', reason: `the ${executor.kind} executor of ${pool.name} was told to cancel`, data: { attempt: run.attempt } })
  if (run.startedAt === null || (executor.poll === undefined && executor.kind !== 'agent')) {
    await finishRun(deps, run.jobId, run.attempt, { exitCode: null, startedAt: run.startedAt, finishedAt: now, energyKwh: null, detail: 'cancelled', outcome: 'cancelled' }, now)
    return true
  }
  return false
}

/**
 * Tells the executor to drop the run. A refusal for good, or failures for an hour since `since`,
 * are given up on (logged) so that the run can be closed; any other failure is thrown, and the
 * next tick tries again.
 */
async function cancelOrGiveUp (deps: Deps, { job, run, pool, executor }: Watched, now: Instant, pass: Pass, since: Instant): Promise<void> {
  const h = handoverOf(job, run, pool)
  if (h === undefined) return
  try {
    await within(pass, `the ${executor.kind} executor of ${pool.name}: cancel`, signal => executor.cancel(h, signal))
  } catch (err) {
    if (!isPermanent(err) && now - since < CANCEL_GIVE_UP_MS) throw err
    deps.log.error({ job: job.id, pool: pool.name, err: errorMessage(err) }, 'the executor refused the cancel; closing the run')
  }
}

/**
 * A push run whose reporter went silent has lost it, and the job goes back to planning: an agent
 * after `agentTimeoutSeconds` without a heartbeat; a webhook receiver, which may report only
 * `started` and `finished`, once twice the job's duration (and the timeout) passed without a word.
 * Silence is measured by the database's clock (`OpenRun.silentMs`), which also stamped the last
 * sign of life, so no instance's clock can make a live run look silent. The run is closed at its
 * last sign of life, not when the silence was noticed.
 */
async function expireSilent (deps: Deps, { job, run, executor, silentMs }: Pick<Watched, 'job' | 'run' | 'executor' | 'silentMs'>, now: Instant): Promise<boolean> {
  if (silentMs === null) return false
  const timeoutMs = deps.config.agentTimeoutSeconds * 1000
  const limit = executor.kind === 'agent' ? timeoutMs : 2 * job.durationMinutes * MINUTE_MS + timeoutMs
  if (silentMs <= limit) return false
  const who = executor.kind === 'agent' ? `agent ${run.ref ?? '(unknown)'}` : `the ${executor.kind} receiver`
  const reason = `${who} of ${run.pool} sent no report for ${Math.round(silentMs / 1000)} s; released back to planning`
  // It ran until its last sign of life, as far as anyone knows: the ledger prices that much.
  const lastSign = Math.max(run.startedAt ?? now, now - silentMs)
  return await loseRun(deps, run.jobId, run.attempt, reason, now, { startedAt: null, finishedAt: Math.min(now, lastSign), energyKwh: null })
}

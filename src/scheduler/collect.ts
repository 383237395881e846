import type { Instant, Job, JobRun, Pool } from '../core/types.js'
import { appendEvent } from '../store/events.js'
import { jobsWithAttempt } from '../store/jobs.js'
import { listPools } from '../store/pools.js'
import { getRun, updateRun } from '../store/runs.js'
import type { Deps } from './deps.js'
import { executorOf } from './executors.js'
import { handoverOf } from './handover.js'
import { finishRun, loseRun, startRun } from './runs.js'

const message = (err: unknown): string => err instanceof Error ? err.message : String(err)
/** Marks a run whose cancel reached its executor, so the tick does not send it again. */
const CANCEL_SENT = 'cancel delivered'

export interface CollectResult {
  polled: number
  finished: number
  cancelled: number
  lost: number
}

/**
 * Brings in what executors know: polls Slurm-like executors for the state of their runs, passes
 * cancels on to the executors of runs still open, and releases runs whose agent went silent.
 * Never throws for one run's failure: it is logged and tried again on the next tick.
 */
export async function collectRuns (deps: Deps, now: Instant): Promise<CollectResult> {
  const pools = new Map((await listPools(deps.store.db)).map(p => [p.name, p]))
  const result: CollectResult = { polled: 0, finished: 0, cancelled: 0, lost: 0 }
  for (const job of await jobsWithAttempt(deps.store.db, ['dispatched', 'running', 'cancelled'])) {
    if (job.attempt === 0) continue
    const run = await getRun(deps.store.db, job.id, job.attempt)
    const pool = pools.get(run?.pool ?? '')
    if (run === undefined || run.outcome !== null || pool === undefined) continue
    try {
      const executor = executorOf(deps, pool)
      if (job.state === 'cancelled') result.cancelled += await passCancel(deps, job, run, pool, now) ? 1 : 0
      else if (executor.kind === 'agent') result.lost += await expireAgent(deps, run, now) ? 1 : 0
      else if (run.acceptedAt !== null && executor.poll !== undefined) {
        result.polled++
        result.finished += await poll(deps, job, run, pool, now) ? 1 : 0
      }
    } catch (err) {
      deps.log.warn({ job: job.id, pool: pool.name, err: message(err) }, 'collecting a run failed; will retry')
    }
  }
  return result
}

/** Asks the executor for the run's state and records what changed; true when the run ended. */
async function poll (deps: Deps, job: Job, run: JobRun, pool: Pool, now: Instant): Promise<boolean> {
  const executor = executorOf(deps, pool)
  const h = await handoverOf(deps, job, run.attempt, pool)
  if (h === undefined || executor.poll === undefined) return false
  const { jobId, attempt } = run
  const report = await executor.poll(h)
  if (report.state === 'queued') return false
  if (report.state === 'running') {
    await startRun(deps, jobId, attempt, report.startedAt ?? now, now)
    return false
  }
  const outcome = report.state === 'cancelled' ? 'failed' : report.state
  const detail = report.state === 'cancelled' ? `cancelled in ${executor.kind}, not by greenshift` : report.detail
  await finishRun(deps, jobId, attempt, {
    exitCode: report.exitCode, startedAt: report.startedAt, finishedAt: report.finishedAt ?? now, energyKwh: report.energyKwh, detail, outcome
  }, now)
  return true
}

/**
 * A cancelled job's open run: the executor is told once. A run that never started is closed at
 * once; a started one is closed by its executor's final report (Slurm's poll, the agent's
 * completion, the webhook receiver's `finished`), which brings the energy it used until it stopped.
 */
async function passCancel (deps: Deps, job: Job, run: JobRun, pool: Pool, now: Instant): Promise<boolean> {
  if (run.detail?.startsWith(CANCEL_SENT) === true && run.startedAt !== null) {
    return executorOf(deps, pool).kind === 'agent' ? await expireAgent(deps, run, now) : await pollCancelled(deps, job, run, pool, now)
  }
  const executor = executorOf(deps, pool)
  const h = await handoverOf(deps, job, run.attempt, pool)
  if (h === undefined) return false
  const { jobId, attempt } = run
  if (run.acceptedAt !== null || run.ref !== null) await executor.cancel(h)
  await updateRun(deps.store.db, jobId, attempt, { detail: `${CANCEL_SENT} at ${new Date(now).toISOString()}` })
  await appendEvent(deps.store.db, { jobId, at: new Date(now), type: 'cancel-delivered', reason: `the ${executor.kind} executor of ${pool.name} was told to cancel`, data: { attempt } })
  if (run.startedAt === null || (executor.poll === undefined && executor.kind !== 'agent')) {
    await finishRun(deps, jobId, attempt, { exitCode: null, startedAt: run.startedAt, finishedAt: now, energyKwh: null, detail: 'cancelled', outcome: 'cancelled' }, now)
    return true
  }
  return false
}

/** A cancelled Slurm run keeps being polled until Slurm reports it ended. */
async function pollCancelled (deps: Deps, job: Job, run: JobRun, pool: Pool, now: Instant): Promise<boolean> {
  const executor = executorOf(deps, pool)
  const h = await handoverOf(deps, job, run.attempt, pool)
  if (h === undefined || executor.poll === undefined) return false
  const { jobId, attempt } = run
  const report = await executor.poll(h)
  if (report.state === 'queued' || report.state === 'running') return false
  await finishRun(deps, jobId, attempt, { exitCode: report.exitCode, startedAt: report.startedAt, finishedAt: report.finishedAt ?? now, energyKwh: report.energyKwh, detail: 'cancelled', outcome: 'cancelled' }, now)
  return true
}

/** An agent silent past the timeout has lost its run: the job goes back to planning. */
async function expireAgent (deps: Deps, run: JobRun, now: Instant): Promise<boolean> {
  const last = run.heartbeatAt ?? run.startedAt
  if (last === null || now - last <= deps.config.agentTimeoutSeconds * 1000) return false
  const reason = `agent ${run.ref ?? '(unknown)'} of ${run.pool} sent no heartbeat for ${Math.round((now - last) / 1000)} s; released back to planning`
  return await loseRun(deps, run.jobId, run.attempt, reason, now)
}

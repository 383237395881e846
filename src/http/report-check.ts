import { checkReport, runFacts, type BookedReport, type ReportedRun, type ReportField } from '../core/plausible.js'
import type { Instant } from '../core/types.js'
import { ApiError } from '../errors.js'
import type { Deps } from '../scheduler/deps.js'
import { getJobById } from '../store/jobs.js'
import { getPool } from '../store/pools.js'
import { getRun } from '../store/runs.js'

/**
 * Checks what an agent or a webhook receiver reports on attempt `attempt` of a job before any of it
 * is stored (see `checkReport`). Someone on the other end can be told, so an implausible report is
 * refused: 422 problem+json naming each field as the reporter sent it (`names`: a webhook's start
 * may come as `at`), and nothing changes. Returns what to book: the report, its times clamped into
 * the 1 min of clock skew allowed. A report on a closed run or on an attempt that is not the
 * job's current one is returned as it came: the run lifecycle answers it (superseded, 409) and
 * books nothing of it.
 */
export async function plausibleReport (
  deps: Deps, jobId: string, attempt: number, report: ReportedRun, now: Instant, names: Partial<Record<ReportField, string>> = {}
): Promise<BookedReport> {
  const db = deps.store.db
  const run = await getRun(db, jobId, attempt)
  const open = run !== undefined && run.outcome === null
  const job = open ? await getJobById(db, jobId) : undefined
  const pool = open ? await getPool(db, run.pool) : undefined
  if (run === undefined || job?.attempt !== attempt || pool === undefined) {
    return { startedAt: report.startedAt ?? null, finishedAt: report.finishedAt ?? null, energyKwh: report.energyKwh ?? null, powerW: report.powerW ?? null }
  }
  const { problems, booked } = checkReport(runFacts(run, job, pool), report, now)
  if (problems.length > 0) {
    const errors = problems.map(p => ({ field: names[p.field] ?? p.field, message: p.message }))
    const detail = `implausible report on attempt ${attempt} of job ${jobId}: ${errors.map(e => `${e.field} ${e.message}`).join('; ')}`
    throw new ApiError(422, 'implausible-report', detail, errors)
  }
  return booked
}

/** `plausibleReport` of a run's end, whose finish is always reported. */
export async function plausibleEnd (
  deps: Deps, jobId: string, attempt: number, report: ReportedRun & { finishedAt: Instant }, now: Instant
): Promise<BookedReport & { finishedAt: Instant }> {
  const booked = await plausibleReport(deps, jobId, attempt, report, now)
  return { ...booked, finishedAt: booked.finishedAt ?? report.finishedAt }
}

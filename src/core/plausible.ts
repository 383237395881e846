import { HOUR_MS, MINUTE_MS, type Instant, type Job, type JobRun, type Pool } from './types.js'

/**
 * What an executor may tell greenshift about a run, checked against what is physically possible
 * before anything is booked (DESIGN.md, "Trust nothing that crosses a boundary"). An agent token, a
 * webhook secret or a Slurm account is enough to report; none of them is trusted to report the
 * truth. A start in 1970 made every tick load half a million intensity points, a finish in 9999 a
 * series the heap could not hold, and 5,000 kWh from one GPU in a few hours was booked as measured.
 */

/** Clocks of executors and of greenshift instances differ by this much at most, and not more. */
export const CLOCK_SKEW_MS = MINUTE_MS
/**
 * A GPU draws at most its pool's rated `wattsPerGpu` × 1.5: boost clocks and transients stay well
 * under that (an A100's 400 W TDP peaks near 500 W), a mis-rated pool gets some headroom.
 */
export const POWER_HEADROOM = 1.5
/**
 * The longest run a ledger is computed for: twice the longest job (31 days). The run's interval
 * bounds what a ledger computation reads and allocates, so it must never be open-ended.
 */
export const MAX_RUN_MS = 62 * 24 * HOUR_MS

/** What greenshift knows of a run when a report on it comes in. */
export interface RunFacts {
  dispatchedAt: Instant
  /** The start already booked; a later report's start never replaces it. Null until one. */
  startedAt: Instant | null
  gpus: number
  /** The pool's rated draw per GPU, W: the hardware's, not a job's own estimate. */
  wattsPerGpu: number
  pue: number
}

/**
 * An executor's report. Energy and power are where the executor metered them: `gpus` (the agent
 * reads its GPUs; its route multiplies by the pool's PUE before booking) or `wall` (a webhook
 * receiver, Slurm's energy plugin scaled by PUE). The limit is in the report's own terms: × PUE
 * only for `wall`, so "GPU energy × PUE ≤ limit × PUE" and "GPU energy ≤ limit" are one check.
 */
export interface ReportedRun {
  startedAt?: Instant | null
  finishedAt?: Instant | null
  /** Total for a finished run, so far for a heartbeat. */
  energyKwh?: number | null
  powerW?: number | null
  metered: 'gpus' | 'wall'
}

export type ReportField = 'startedAt' | 'finishedAt' | 'energyKwh' | 'powerW'

/** One implausible value of a report, by the report's field name. */
export interface ReportProblem {
  field: ReportField
  message: string
}

/** What may be booked of a report: times clamped into the run's window, figures null when anything was implausible. */
export interface BookedReport {
  startedAt: Instant | null
  finishedAt: Instant | null
  energyKwh: number | null
  powerW: number | null
}

export interface CheckedReport {
  /** Empty when the report is plausible. */
  problems: ReportProblem[]
  booked: BookedReport
}

const iso = (t: Instant) => Number.isFinite(t) ? new Date(t).toISOString() : String(t)
/** `t` within [lo, hi]; lo for NaN, which no comparison catches. */
const clamp = (t: Instant, lo: Instant, hi: Instant) => Number.isNaN(t) ? lo : Math.max(lo, Math.min(t, hi))
const round = (x: number) => Math.round(x * 1000) / 1000

/** The facts a run's report is checked against, from the run, its job and its pool. */
export function runFacts (run: Pick<JobRun, 'dispatchedAt' | 'startedAt'>, job: Pick<Job, 'gpus'>, pool: Pick<Pool, 'wattsPerGpu' | 'pue'>): RunFacts {
  return { dispatchedAt: run.dispatchedAt, startedAt: run.startedAt, gpus: job.gpus, wattsPerGpu: pool.wattsPerGpu, pue: pool.pue }
}

/**
 * Checks a report at `now`: a start no earlier than the dispatch and a finish no earlier than the
 * start (1 min of clock skew allowed against greenshift's own instants, none between two instants
 * of one report), neither later than now + 1 min; energy and power non-negative and no more than
 * the run's GPUs can draw (`POWER_HEADROOM` × rated) over its time, from the booked start (else the
 * dispatch) to the reported finish (a heartbeat: to now). `booked` is what may be stored: times
 * clamped into [dispatch, now] and after the start, so stored runs never end before they start;
 * energy and power null when any problem was found. Pure.
 */
export function checkReport (facts: RunFacts, report: ReportedRun, now: Instant): CheckedReport {
  const r = { startedAt: report.startedAt ?? null, finishedAt: report.finishedAt ?? null, energyKwh: report.energyKwh ?? null, powerW: report.powerW ?? null }
  const problems: ReportProblem[] = []
  const startProblem = r.startedAt === null ? undefined : timeProblem(r.startedAt, facts.dispatchedAt, now)
  if (startProblem !== undefined) problems.push({ field: 'startedAt', message: startProblem })
  const startedAt = r.startedAt === null ? null : clamp(r.startedAt, facts.dispatchedAt, now)
  const start = facts.startedAt ?? startedAt
  const finishProblem = r.finishedAt === null ? undefined : endProblem(r.finishedAt, r.startedAt, start, facts.dispatchedAt, now)
  if (finishProblem !== undefined) problems.push({ field: 'finishedAt', message: finishProblem })
  const from = start ?? facts.dispatchedAt
  const finishedAt = r.finishedAt === null ? null : clamp(r.finishedAt, from, Math.max(from, now))
  const to = finishedAt ?? now
  const watts = facts.gpus * facts.wattsPerGpu * POWER_HEADROOM * (report.metered === 'wall' ? facts.pue : 1)
  // The run's time is known to 1 min of skew only (the agent's clock against ours): a run of a few
  // seconds, metered by its agent, may look 0 s long here and must not be refused for its energy.
  const maxKwh = watts * (Math.max(0, to - from) + CLOCK_SKEW_MS) / HOUR_MS / 1000
  const over = `${facts.gpus} GPU(s) at ${facts.wattsPerGpu} W × ${POWER_HEADROOM}${report.metered === 'wall' ? ` × PUE ${facts.pue}` : ''}`
  if (r.energyKwh !== null && !(r.energyKwh >= 0 && r.energyKwh <= maxKwh)) {
    problems.push({ field: 'energyKwh', message: `${r.energyKwh} kWh is not within 0..${round(maxKwh)} kWh, what ${over} can draw in ${round((Math.max(0, to - from) + CLOCK_SKEW_MS) / HOUR_MS)} h` })
  }
  if (r.powerW !== null && !(r.powerW >= 0 && r.powerW <= watts)) {
    problems.push({ field: 'powerW', message: `${r.powerW} W is not within 0..${round(watts)} W, what ${over} can draw` })
  }
  const ok = problems.length === 0
  return { problems, booked: { startedAt, finishedAt, energyKwh: ok ? r.energyKwh : null, powerW: ok ? r.powerW : null } }
}

/** Why an instant cannot be the start of a run dispatched at `dispatchedAt`, checked at `now`. */
function timeProblem (t: Instant, dispatchedAt: Instant, now: Instant): string | undefined {
  if (!(t >= dispatchedAt - CLOCK_SKEW_MS)) return `${iso(t)} is before the job was dispatched (${iso(dispatchedAt)})`
  if (!(t <= now + CLOCK_SKEW_MS)) return `${iso(t)} is in the future (now is ${iso(now)})`
  return undefined
}

/** Why `t` cannot be the finish: as a start, and not before the report's start nor (beyond skew) the booked one. */
function endProblem (t: Instant, reportedStart: Instant | null, start: Instant | null, dispatchedAt: Instant, now: Instant): string | undefined {
  const problem = timeProblem(t, dispatchedAt, now)
  if (problem !== undefined) return problem
  if (reportedStart !== null && t < reportedStart) return `${iso(t)} is before startedAt (${iso(reportedStart)})`
  if (start !== null && t < start - CLOCK_SKEW_MS) return `${iso(t)} is before the run started (${iso(start)})`
  return undefined
}

/**
 * Why a stored run's interval cannot be priced, or undefined when it can: rows stored before these
 * checks (or by any path that skipped them) may start before their dispatch, end before they start
 * or after `now`, or run longer than `MAX_RUN_MS`. A ledger computation loads intensity over the
 * run's interval, so it is refused rather than read. Pure.
 */
export function implausibleRun (run: Pick<JobRun, 'dispatchedAt' | 'startedAt' | 'finishedAt'>, now: Instant): string | undefined {
  const { dispatchedAt, startedAt: start, finishedAt: end } = run
  if (start === null || end === null) return undefined
  if (start < dispatchedAt - CLOCK_SKEW_MS) return `it started at ${iso(start)}, before it was dispatched (${iso(dispatchedAt)})`
  if (end < start) return `it finished at ${iso(end)}, before it started (${iso(start)})`
  if (end > now + CLOCK_SKEW_MS) return `it finished at ${iso(end)}, in the future`
  if (end - start > MAX_RUN_MS) return `it ran ${Math.round((end - start) / HOUR_MS)} h, longer than the ${MAX_RUN_MS / HOUR_MS} h a run can be priced for`
  return undefined
}

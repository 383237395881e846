import { computeLedger, coveredMs, type AttemptInput, type LedgerOutcome, type ZoneIntensity } from '../core/ledger.js'
import { implausibleRun } from '../core/plausible.js'
import { HOUR_MS, MINUTE_MS, type Instant, type Interval, type JobRun, type Pool, type PoolModel, type RunOutcome, type Series } from '../core/types.js'
import { storedIntensity } from '../store/intensity.js'
import { jobsNeedingLedger, postponeLedger, type LedgerWork } from '../store/ledger.js'
import { record, settleExpired } from './ledger-record.js'
import { listPools } from '../store/pools.js'
import type { Deps } from './deps.js'
import { actualSeries, forecastSeries, toSeries } from './forecasts.js'
import { endsPass } from './step.js'
import { errorMessage } from '../errors.js'

/** What one `refreshLedgers` pass did. */
export interface LedgerRefresh {
  /** Ledgers written, provisional or final. */
  computed: number
  /** Of those, the ones now final (actual intensity covers both intervals). */
  final: number
  /** Jobs left for a later pass: no plan, a pool gone, a stored run whose interval is impossible, or no intensity at all for an interval. */
  skipped: number
  /** Jobs whose refresh threw (logged). */
  failed: number
}

/** At most this many jobs a pass: one pass stays short even after an outage left many ledgers due. */
const BATCH = 100
/** A provisional ledger is recomputed at most this often: the tick fetches a zone's actuals every 30 min by default. */
const RECHECK_MS = 30 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS
/**
 * A ledger that cannot be computed (no intensity yet, a pool gone, an error) is tried again after
 * 10 min, then 20, 40 … up to a day: one that never can costs a few tries a day, not one per tick
 * for the whole retention period.
 */
export function ledgerBackoffMs (tries: number): number {
  return Math.min(DAY_MS, 10 * MINUTE_MS * 2 ** Math.min(tries, 10))
}

/** How much one `refreshLedgers` call may do. */
export interface LedgerLimits {
  /** Jobs at most; default 100. */
  limit?: number
  /** True once the caller's time is up: no further ledger is started. */
  spent?: () => boolean
}

/**
 * Provider answers of this pass by zone and interval, so an interval is asked for once; and the
 * zones whose answer fell short, which are not asked again this pass: a provider that is down or
 * has not published yet costs one 5 s timeout per zone, not one per job.
 */
export interface Asked {
  answers: Map<string, Promise<Series>>
  short: Set<string>
}

/**
 * The scheduler's ledger step: computes the ledger of every job whose run has closed and whose
 * ledger is missing, and recomputes provisional ones (at most every 30 min) until actual intensity
 * covers them, for as long as intensity is retained (`planning.retentionDays`). Appends a `ledger`
 * event when a job first gets one and when it becomes final. One job's failure is logged and never
 * stops the others.
 */
export async function refreshLedgers (deps: Deps, now: Instant, limits: LedgerLimits = {}): Promise<LedgerRefresh> {
  const counts: LedgerRefresh = { computed: 0, final: 0, skipped: 0, failed: 0 }
  const db = deps.store.db
  const retainedFrom = now - deps.config.planning.retentionDays * DAY_MS
  counts.final += await settleExpired(deps, retainedFrom, limits.limit ?? BATCH, now)
  const work = await jobsNeedingLedger(db, limits.limit ?? BATCH, { computedBefore: now - RECHECK_MS, finishedAfter: retainedFrom, now })
  if (work.length === 0) return counts
  const pools = new Map((await listPools(db)).map(p => [p.name, p]))
  const asked: Asked = { answers: new Map(), short: new Set() }
  for (const w of work) {
    if (limits.spent?.() === true) break
    try {
      const outcome = await ledgerFor(deps, w, pools, asked, now)
      if (!outcome.ok) {
        counts.skipped++
        await postpone(deps, w, now, { reason: outcome.reason, detail: outcome.detail })
        continue
      }
      await record(deps, w, outcome.ledger, now)
      counts.computed++
      if (!outcome.ledger.provisional) counts.final++
    } catch (err) {
      if (endsPass(err)) throw err
      counts.failed++
      await postpone(deps, w, now, { err: errorMessage(err) })
    }
  }
  return counts
}

/** Backs a ledger off after a failed attempt (see `ledgerBackoffMs`). */
async function postpone (deps: Deps, w: LedgerWork, now: Instant, why: Record<string, string>): Promise<void> {
  const retryAt = now + ledgerBackoffMs(w.tries)
  await postponeLedger(deps.store.db, w.job.id, retryAt)
  deps.log.info({ jobId: w.job.id, ...why, tries: w.tries + 1, retryAt: new Date(retryAt).toISOString() }, 'ledger not computed; trying again later')
}

export type Outcome = LedgerOutcome | { ok: false, reason: 'no-plan' | 'unknown-pool' | 'implausible-run', detail: string }

/**
 * A job's ledger from its plan and every attempt that ran. Each attempt is priced with its pool's
 * power model as it was when the attempt was handed over, and the baseline with the baseline pool's
 * as planned, so editing a pool later changes no ledger; `asNow` (a restatement) uses the pools as
 * they are instead.
 */
export async function ledgerFor (deps: Deps, w: LedgerWork, pools: Map<string, Pool>, asked: Asked, now: Instant, asNow = false): Promise<Outcome> {
  const { job, run } = w
  // A job that ended while waiting to be planned again is booked against the plan its attempts ran under.
  const plan = job.plan ?? job.priorPlan ?? null
  if (plan === null) return { ok: false, reason: 'no-plan', detail: `job ${job.id} has no plan to take its expected figure and baseline from` }
  const baselineModel = (asNow ? undefined : plan.baseline.model) ?? pools.get(plan.baseline.pool)
  if (baselineModel === undefined) return { ok: false, reason: 'unknown-pool', detail: `pool ${plan.baseline.pool} is not known` }
  if (run.startedAt === null || run.finishedAt === null) return { ok: false, reason: 'empty-run', detail: `run ${run.attempt} of job ${job.id} has not both started and finished` }
  const ran = w.runs.filter(r => r.attempt <= run.attempt && r.outcome !== null && r.outcome !== 'refused' &&
    r.startedAt !== null && r.finishedAt !== null && r.finishedAt > r.startedAt)
  const priced: Array<{ run: JobRun, model: PoolModel, span: Interval }> = []
  for (const r of ran) {
    const model = (asNow ? undefined : r.poolModel) ?? pools.get(r.pool)
    if (model === undefined) return { ok: false, reason: 'unknown-pool', detail: `pool ${r.pool} is not known` }
    // Intensity is read (and a profile built) over the run's interval: one stored before reports were
    // checked must not make a pass read 1970 onwards or build a series up to 9999. Migration 0006
    // repairs such runs; until then they back off like any ledger that cannot be computed.
    const implausible = implausibleRun(r, now)
    if (implausible !== undefined) return { ok: false, reason: 'implausible-run', detail: `run ${r.attempt} of job ${job.id} cannot be priced: ${implausible}` }
    priced.push({ run: r, model, span: { start: r.startedAt as Instant, end: r.finishedAt as Instant } })
  }
  const baselineStart = Math.max(job.submittedAt, job.notBefore ?? job.submittedAt)
  const baselineSpan = { start: baselineStart, end: baselineStart + run.finishedAt - run.startedAt }
  // The baseline first: it is usually the earlier interval, the one a provider has published, so a
  // run too recent for actuals does not mark the zone short before the baseline was asked for.
  const baselineZone = await intensity(deps, baselineModel.zone, baselineSpan, asked, now)
  const attempts: AttemptInput[] = []
  for (const { run: r, model, span } of priced) {
    attempts.push({
      attempt: r.attempt,
      outcome: r.outcome as RunOutcome,
      pool: model,
      executor: r.executor,
      ...span,
      energyKwh: r.energyKwh,
      zone: await intensity(deps, model.zone, span, asked, now)
    })
  }
  return computeLedger({
    job: {
      gpus: job.gpus,
      durationMs: job.durationMinutes * MINUTE_MS,
      wattsPerGpu: job.wattsPerGpu ?? undefined,
      energyKwh: job.energyKwh ?? undefined,
      submittedAt: job.submittedAt,
      notBefore: job.notBefore,
      sciUnit: job.sciUnit
    },
    plan,
    attempts,
    baseline: { pool: baselineModel, rule: plan.baseline.rule ?? 'config-order', zone: baselineZone },
    now
  })
}

/**
 * A zone's intensity over `span`: the stored actuals of the zone's signal; when they do not cover
 * it, what the provider (or the store, see `actualSeries`) answers, if that covers more;
 * and the stored forecast for whatever is still uncovered.
 */
async function intensity (deps: Deps, zone: string, span: Interval, asked: Asked, now: Instant): Promise<ZoneIntensity> {
  const signal = deps.providers.get(zone)?.signal ?? 'average'
  let actual = toSeries(zone, await storedIntensity(deps.store.db, zone, 'actual', span.start, span.end, signal), signal, 'none')
  const whole = span.end - span.start
  if (coveredMs(actual.points, span, now) < whole && !asked.short.has(zone)) {
    const key = `${zone} ${span.start} ${span.end}`
    const answer = asked.answers.get(key) ?? actualSeries(deps, zone, span.start, span.end)
    asked.answers.set(key, answer)
    const fetched = await answer
    const covered = coveredMs(fetched.points, span, now)
    if (covered < whole) asked.short.add(zone)
    if (covered > coveredMs(actual.points, span, now)) actual = fetched
  }
  const forecast = coveredMs(actual.points, span, now) < whole
    ? await forecastSeries(deps, zone, span.start, span.end, now)
    : { zone, signal: actual.signal, source: 'none', points: [] }
  return { actual, forecast }
}

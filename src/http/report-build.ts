import { idleRow, type IdleRow } from '../core/report-idle.js'
import { buckets, type Grouping } from '../core/report-periods.js'
import { inRange, reportRows, reportTotals, type ReportRow, type ReportSums } from '../core/report.js'
import type { Instant, Interval } from '../core/types.js'
import type { Deps } from '../scheduler/deps.js'
import { storedIntensity } from '../store/intensity.js'
import { listPools } from '../store/pools.js'
import { allocations, countJobsWithoutLedger, reportJobs } from '../store/report.js'
import { grams, kwh } from './present.js'

/** What the emissions report covers and who asks. */
export interface ReportRequest {
  grouping: Grouping
  from: Instant
  to: Instant
  /** Only this tenant's jobs; null: every tenant's. */
  tenantId: string | null
  /** With the idle rows (the operator's, never a tenant's). */
  idle: boolean
  now: Instant
}

/** The report's figures, rounded as shown (0.1 g, 1 mWh); totals are sums of the rounded rows. */
export interface ReportFigures {
  rows: ReportRow[]
  totals: ReportSums[]
  jobsWithoutLedger: number
  provisionalJobs: number
  idle: IdleLine[] | null
}

/** An idle row with the report period it belongs to (null without a time dimension). */
export type IdleLine = IdleRow & { period: Interval | null }

const gramsOrNull = (g: number | null): number | null => g === null ? null : grams(g)

function rounded<T extends ReportSums> (s: T): T {
  return {
    ...s,
    energyKwh: kwh(s.energyKwh),
    gpuEnergyKwh: kwh(s.gpuEnergyKwh),
    hostEnergyKwh: kwh(s.hostEnergyKwh),
    actualGrams: grams(s.actualGrams),
    marketGrams: gramsOrNull(s.marketGrams),
    expectedGrams: gramsOrNull(s.expectedGrams),
    baselineGrams: gramsOrNull(s.baselineGrams),
    avoidedGrams: gramsOrNull(s.avoidedGrams),
    embodiedGrams: gramsOrNull(s.embodiedGrams)
  }
}

/** Reads the ledgers and runs of [from, to) and computes the report (see `reportRows`, `idleRow`). */
export async function buildReport (deps: Deps, q: ReportRequest): Promise<ReportFigures> {
  const db = deps.store.db
  const scope = { tenantId: q.tenantId, from: q.from, to: q.to }
  const jobs = await reportJobs(db, scope)
  const rows = reportRows(jobs, q.grouping, q.from, q.to).map(rounded)
  const whole = reportRows(jobs, { time: null, keys: [] }, q.from, q.to)
  return {
    rows,
    totals: reportTotals(rows, whole).map(rounded),
    jobsWithoutLedger: await countJobsWithoutLedger(db, scope),
    provisionalJobs: jobs.filter(j => j.ledger.provisional && inRange(j, q.from, q.to)).length,
    idle: q.idle ? await idleRows(deps, q) : null
  }
}

/**
 * One idle row per pool with idle watts and per bucket of the report, up to now: every tenant's
 * attempts are subtracted, and the zone's stored actual intensity of its provider's signal prices it.
 */
async function idleRows (deps: Deps, q: ReportRequest): Promise<IdleLine[]> {
  const pools = (await listPools(deps.store.db)).filter(p => p.idleWattsPerGpu > 0)
  const until = Math.min(q.to, q.now)
  if (pools.length === 0 || until <= q.from) return []
  const held = await allocations(deps.store.db, q.from, until, q.now)
  const rows: IdleLine[] = []
  for (const pool of pools) {
    const signal = deps.providers.get(pool.zone)?.signal ?? 'average'
    const stored = await storedIntensity(deps.store.db, pool.zone, 'actual', q.from, until, signal)
    const actuals = { signal, points: stored.points, sources: stored.sources, labels: stored.labels, version: stored.version }
    for (const b of buckets(q.grouping.time, q.from, q.to)) {
      const span = { start: b.start, end: Math.min(b.end, until) }
      if (span.end > span.start) rows.push({ ...idleRow(pool, span, held, actuals), period: q.grouping.time === null ? null : b })
    }
  }
  return rows
}

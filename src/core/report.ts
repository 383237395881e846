import { labelsOf, sameLabels, type Labels } from './ledger-price.js'
import { buckets, overlapMs, type Grouping } from './report-periods.js'
import type { Instant, Interval, JobLedger, LedgerAttempt } from './types.js'

/** A job with its ledger (in the current shape, see `upgrade`), as the emissions report reads it. */
export interface ReportJob {
  id: string
  tenant: string
  labels: Readonly<Record<string, string>>
  ledger: JobLedger
}

/** Figures summed over a row's jobs, grams and kWh as computed (not rounded). */
export interface ReportSums extends Labels {
  /** Facility energy (IT × PUE), and its GPU and host parts, kWh. */
  energyKwh: number
  gpuEnergyKwh: number
  hostEnergyKwh: number
  /** Location-based grams: the ledger's `actual`. */
  actualGrams: number
  /** Market-based grams of the attempts that have a market figure; null when none has. */
  marketGrams: number | null
  /** Expected at planning, over the jobs planned on these labels; null when there are none. */
  expectedGrams: number | null
  /** Baseline and avoided over the jobs whose avoided figure is known on these labels; null when there are none. */
  baselineGrams: number | null
  avoidedGrams: number | null
  /** Null when no job's pool sets an embodied figure. */
  embodiedGrams: number | null
  /** Distinct jobs with attempt time in the row (or, in totals, in the report) on these labels. */
  jobs: number
  provisionalJobs: number
  expectedJobs: number
  avoidedJobs: number
  /** Jobs every attempt of which had its GPU energy measured; estimated: none had. */
  measuredJobs: number
  estimatedJobs: number
  sources: string[]
}

/** One row: a time bucket (or the whole range), the values of the other dimensions, and one set of labels. */
export interface ReportRow extends ReportSums {
  period: Interval | null
  /** One value per `Grouping.keys`, in that order; null for a job without the label. */
  group: Array<string | null>
}

interface Acc {
  row: Omit<ReportRow, 'jobs' | 'provisionalJobs' | 'expectedJobs' | 'avoidedJobs' | 'measuredJobs' | 'estimatedJobs' | 'sources'>
  jobs: Set<string>
  provisional: Set<string>
  expected: Set<string>
  avoided: Set<string>
  measured: Set<string>
  estimated: Set<string>
  sources: Set<string>
}

const add = (a: number | null, b: number | null): number | null => a === null ? b : b === null ? a : a + b

function fresh (period: Interval | null, group: Array<string | null>, labels: Labels): Acc {
  return {
    row: {
      period, group, ...labels, energyKwh: 0, gpuEnergyKwh: 0, hostEnergyKwh: 0, actualGrams: 0, marketGrams: null, expectedGrams: null, baselineGrams: null, avoidedGrams: null, embodiedGrams: null
    },
    jobs: new Set(), provisional: new Set(), expected: new Set(), avoided: new Set(), measured: new Set(), estimated: new Set(), sources: new Set()
  }
}

function groupOf (g: Grouping, job: ReportJob, a: LedgerAttempt): Array<string | null> {
  return g.keys.map(k => k === 'pool' ? a.pool : k === 'zone' ? a.zone : k === 'tenant' ? job.tenant : job.labels[k.slice('label:'.length)] ?? null)
}

/**
 * The emissions report's rows over [from, to). Each attempt's energy, location and market grams
 * go to the time buckets (and its own pool and zone) in proportion to the overlap of
 * [start, end) with each bucket; the job's expected, baseline, avoided and embodied grams by the
 * same overlaps over all its attempts' time. Figures go to the row of their own labels (signal,
 * gas, factor type): figures of different labels are never summed. Sorted by period, group
 * (byte order, null last), signal, gas and factor type.
 */
export function reportRows (jobs: readonly ReportJob[], grouping: Grouping, from: Instant, to: Instant): ReportRow[] {
  const periods = buckets(grouping.time, from, to)
  const rows = new Map<string, Acc>()
  const at = (period: Interval, group: Array<string | null>, labels: Labels): Acc => {
    const p = grouping.time === null ? null : period
    const key = JSON.stringify([p?.start ?? null, group, labels.signal, labels.gas, labels.factorType])
    const acc = rows.get(key) ?? fresh(p, group, labels)
    rows.set(key, acc)
    return acc
  }
  for (const job of jobs) {
    const l = job.ledger
    const runMs = l.attempts.reduce((ms, a) => ms + Math.max(0, a.end - a.start), 0)
    for (const a of l.attempts) {
      const ms = a.end - a.start
      for (const period of periods) {
        // An attempt of no length falls wholly in the bucket holding its start.
        const inside = ms > 0 ? overlapMs(a, period) : (a.start >= period.start && a.start < period.end ? 1 : 0)
        if (inside <= 0) continue
        const share = ms > 0 ? inside / ms : 1
        const jobShare = runMs > 0 ? (ms > 0 ? inside : 0) / runMs : 1 / l.attempts.length
        const group = groupOf(grouping, job, a)
        attempt(at(period, group, labelsOf(a)), job, a, share, jobShare)
        const expected = at(period, group, labelsOf(l.expected))
        expected.row.expectedGrams = add(expected.row.expectedGrams, l.expected.grams * jobShare)
        expected.expected.add(job.id)
        expected.sources.add(l.expected.source)
        if (l.avoidedGrams !== null) {
          const baseline = at(period, group, labelsOf(l.baseline))
          baseline.row.baselineGrams = add(baseline.row.baselineGrams, l.baseline.grams * jobShare)
          baseline.row.avoidedGrams = add(baseline.row.avoidedGrams, l.avoidedGrams * jobShare)
          baseline.avoided.add(job.id)
          baseline.sources.add(l.baseline.source)
        }
      }
    }
  }
  return [...rows.values()].map(finish).sort(byRow)
}

/** Adds `share` of an attempt's figures (and `jobShare` of the job's embodied grams) to a row. */
function attempt (acc: Acc, job: ReportJob, a: LedgerAttempt, share: number, jobShare: number): void {
  const r = acc.row
  r.energyKwh += a.energyKwh * share
  r.gpuEnergyKwh += a.gpuEnergyKwh * share
  r.hostEnergyKwh += a.hostEnergyKwh * share
  r.actualGrams += a.grams * share
  if (a.marketGrams !== null) r.marketGrams = add(r.marketGrams, a.marketGrams * share)
  if (job.ledger.embodiedGrams !== null) r.embodiedGrams = add(r.embodiedGrams, job.ledger.embodiedGrams * jobShare)
  acc.jobs.add(job.id)
  if (job.ledger.provisional) acc.provisional.add(job.id)
  if (job.ledger.energyMethod === 'measured') acc.measured.add(job.id)
  if (job.ledger.energyMethod === 'estimated') acc.estimated.add(job.id)
  acc.sources.add(a.source)
}

function finish (acc: Acc): ReportRow {
  return {
    ...acc.row,
    jobs: acc.jobs.size,
    provisionalJobs: acc.provisional.size,
    expectedJobs: acc.expected.size,
    avoidedJobs: acc.avoided.size,
    measuredJobs: acc.measured.size,
    estimatedJobs: acc.estimated.size,
    sources: [...acc.sources].sort()
  }
}

const byte = (a: string | null, b: string | null): number => a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1

function byRow (a: ReportRow, b: ReportRow): number {
  const period = (a.period?.start ?? 0) - (b.period?.start ?? 0)
  if (period !== 0) return period
  for (let i = 0; i < a.group.length; i++) {
    const c = byte(a.group[i] ?? null, b.group[i] ?? null)
    if (c !== 0) return c
  }
  return byte(a.signal, b.signal) || byte(a.gas, b.gas) || byte(a.factorType, b.factorType)
}

/** Whether any of the job's attempts has time in [from, to) (an attempt of no length: starts in it). */
export function inRange (job: ReportJob, from: Instant, to: Instant): boolean {
  return job.ledger.attempts.some(a => a.end > a.start ? overlapMs(a, { start: from, end: to }) > 0 : a.start >= from && a.start < to)
}

/**
 * The report's totals, one per labels: the job counts of `whole` (the report's rows over the whole
 * range without dimensions, so a job counts once however many rows it spans) and the figures of
 * `rows` summed as they are given (rounded, so the rows as shown add up to the totals).
 */
export function reportTotals (rows: readonly ReportRow[], whole: readonly ReportRow[]): ReportSums[] {
  return whole.map(({ period: _period, group: _group, ...w }) => {
    const mine = rows.filter(r => sameLabels(r, w))
    const sum = (k: 'energyKwh' | 'gpuEnergyKwh' | 'hostEnergyKwh' | 'actualGrams' | 'marketGrams' | 'expectedGrams' | 'baselineGrams' | 'avoidedGrams' | 'embodiedGrams') =>
      mine.reduce<number | null>((total, r) => add(total, r[k]), null)
    return {
      ...w,
      energyKwh: sum('energyKwh') ?? 0,
      gpuEnergyKwh: sum('gpuEnergyKwh') ?? 0,
      hostEnergyKwh: sum('hostEnergyKwh') ?? 0,
      actualGrams: sum('actualGrams') ?? 0,
      marketGrams: sum('marketGrams'),
      expectedGrams: sum('expectedGrams'),
      baselineGrams: sum('baselineGrams'),
      avoidedGrams: sum('avoidedGrams'),
      embodiedGrams: sum('embodiedGrams')
    }
  })
}

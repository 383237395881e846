import { powerSplit, type PowerRequest, type PowerSplit } from './emissions.js'
import { labelsOf, price, sameLabels, type Labels, type Priced, type ZoneIntensity } from './ledger-price.js'
import {
  HOUR_MS, type BaselineRule, type ExecutorKind, type Instant, type Interval, type JobLedger, type JobPlan, type LedgerAttempt,
  type LedgerFigure, type MarketFigure, type PoolModel, type RunOutcome, type SciFigure
} from './types.js'

export { coveredMs, type ZoneIntensity } from './ledger-price.js'

/** One attempt that ran, as the ledger prices it. */
export interface AttemptInput {
  attempt: number
  outcome: RunOutcome
  /** The pool as it was when the attempt ran. */
  pool: PoolModel
  /** `agent` meters the GPUs (its energy has the host added); a webhook receiver and Slurm meter the whole node. */
  executor: ExecutorKind
  start: Instant
  end: Instant
  /** Energy as stored at the facility boundary (agent: GPU energy × PUE), or null: estimated. */
  energyKwh: number | null
  zone: ZoneIntensity
}

/** Everything a job's ledger is computed from; see `computeLedger`. */
export interface LedgerInput {
  job: PowerRequest & { submittedAt: Instant, notBefore: Instant | null, sciUnit?: 'job' | 'gpu-hour' }
  plan: JobPlan
  /** Every attempt that ran, in order; the last is the one that ended the job. */
  attempts: AttemptInput[]
  baseline: { pool: PoolModel, rule: BaselineRule, zone: ZoneIntensity }
  now: Instant
}

export type LedgerOutcome =
  | { ok: true, ledger: JobLedger }
  | { ok: false, reason: 'empty-run' | 'no-intensity-data', detail: string }

/** An attempt with its energy at the facility boundary, kWh. */
interface Metered {
  input: AttemptInput
  gpuKwh: number
  hostKwh: number
  kwh: number
  method: 'measured' | 'estimated'
}

/**
 * A job's ledger (README, "How the figures are computed"). Every attempt that ran is priced on the
 * actual intensity of its zone over its own interval, with its measured energy or the pool's power
 * model over its run time. The baseline is the counterfactual the plan used: the job started at
 * max(submittedAt, notBefore) on the baseline pool, drawing the last attempt's energy scaled by the
 * two pools' power models, for that attempt's run time. A job planned to start at once on its
 * baseline pool has, as baseline, what its last attempt actually did: dispatch lag avoids nothing.
 * Avoided is baseline − every attempt, so wasted attempts are charged; null when labels differ.
 * Pure: `now` only bounds which actuals can be real.
 */
export function computeLedger (input: LedgerInput): LedgerOutcome {
  const { job, plan, now } = input
  const last = input.attempts.at(-1)
  if (last === undefined || !(last.end > last.start)) {
    return { ok: false, reason: 'empty-run', detail: last === undefined ? 'no attempt ran' : `the run ended at ${last.end} without having run after ${last.start}` }
  }
  const metered = input.attempts.filter(a => a.end > a.start).map(a => meter(job, a))
  const attempts: LedgerAttempt[] = []
  for (const m of metered) {
    const priced = price(m.kwh / hours(m.input), m.input, m.input.zone, now)
    if (priced === undefined) return noData(m.input.pool.zone, m.input)
    attempts.push(attemptOf(m, priced))
  }
  const useful = metered[metered.length - 1] as Metered
  const baselineStart = Math.max(job.submittedAt, job.notBefore ?? job.submittedAt)
  // Planned at once on the baseline pool, and run there: the counterfactual is what happened.
  const startedAtOnce = plan.pool === input.baseline.pool.name && last.pool.name === plan.pool && (plan.segments[0]?.start ?? Infinity) <= plan.baseline.start
  const runMs = last.end - last.start
  const span = startedAtOnce ? { start: last.start, end: last.end } : { start: baselineStart, end: baselineStart + runMs }
  const baselineKwh = startedAtOnce ? useful.kwh : useful.kwh * totalKw(powerSplit(job, input.baseline.pool)) / totalKw(powerSplit(job, last.pool))
  const baseline = price(baselineKwh / (runMs / HOUR_MS), span, startedAtOnce ? last.zone : input.baseline.zone, now)
  if (baseline === undefined) return noData(input.baseline.pool.zone, span)
  const actual = sumAttempts(attempts)
  const note = avoidedNote(baseline, actual, attempts)
  const method = methodOf(metered)
  const embodied = embodiedGrams(job.gpus, metered)
  const sum = (f: (a: LedgerAttempt) => number) => attempts.reduce((t, a) => t + f(a), 0)
  const provisional = baseline.provisional || attempts.some(a => a.provisional)
  return {
    ok: true,
    ledger: {
      energyKwh: sum(a => a.energyKwh),
      gpuEnergyKwh: sum(a => a.gpuEnergyKwh),
      hostEnergyKwh: sum(a => a.hostEnergyKwh),
      energyMethod: method,
      runMs: sum(a => a.end - a.start),
      attempts,
      expected: expectedFigure(plan),
      baseline: { ...baseline, method: useful.method, pool: input.baseline.pool.name, zone: input.baseline.pool.zone, start: span.start, end: span.end, rule: input.baseline.rule, energyKwh: baselineKwh },
      actual: { ...actual, method: method === 'estimated' ? 'estimated' : 'measured', pool: last.pool.name, zone: last.pool.zone, start: attempts[0]?.start ?? last.start, end: last.end },
      avoidedGrams: note === null ? baseline.grams - actual.grams : null,
      avoidedNote: note,
      marketBased: marketFigure(metered, attempts),
      sci: sciFigure(job, runMs, actual.grams + (embodied ?? 0)),
      provisional,
      verified: !provisional,
      embodiedGrams: embodied,
      computedAt: now
    }
  }
}

const hours = (span: Interval) => (span.end - span.start) / HOUR_MS
const totalKw = (p: PowerSplit) => p.gpuKw + p.hostKw

/**
 * An attempt's energy at the facility boundary, split into GPUs and host. Measured by an agent:
 * its GPUs' energy (× PUE, as stored) plus the host's modelled power over the run. Measured by a
 * webhook receiver or Slurm: the node's, split in the pool model's proportions. Else the model.
 */
function meter (job: PowerRequest, a: AttemptInput): Metered {
  const model = powerSplit(job, a.pool)
  const h = hours(a)
  if (a.energyKwh === null) return { input: a, gpuKwh: model.gpuKw * h, hostKwh: model.hostKw * h, kwh: totalKw(model) * h, method: 'estimated' }
  if (a.executor === 'agent') {
    const host = model.hostKw * h
    return { input: a, gpuKwh: a.energyKwh, hostKwh: host, kwh: a.energyKwh + host, method: 'measured' }
  }
  const gpuShare = model.gpuKw / totalKw(model)
  return { input: a, gpuKwh: a.energyKwh * gpuShare, hostKwh: a.energyKwh * (1 - gpuShare), kwh: a.energyKwh, method: 'measured' }
}

function attemptOf (m: Metered, priced: Priced): LedgerAttempt {
  const a = m.input
  const market = a.pool.market
  return {
    attempt: a.attempt,
    pool: a.pool.name,
    zone: a.pool.zone,
    outcome: a.outcome,
    start: a.start,
    end: a.end,
    energyKwh: m.kwh,
    gpuEnergyKwh: m.gpuKwh,
    hostEnergyKwh: m.hostKwh,
    energyMethod: m.method,
    grams: priced.grams,
    marketGrams: market !== undefined && market !== null ? m.kwh * market.gPerKwh : priced.signal === 'average' ? priced.grams : null,
    source: priced.source,
    provisional: priced.provisional,
    ...labelsOfPriced(priced)
  }
}

const labelsOfPriced = (p: Labels): Labels => ({ signal: p.signal, gas: p.gas, factorType: p.factorType })

/**
 * The attempts summed into one figure, labelled as the last. Attempts priced on other labels (a
 * fallback provider of another gas, say) are never summed in: they stay apart in `attempts`, and
 * avoided is null with a note.
 */
function sumAttempts (attempts: LedgerAttempt[]): Priced {
  const last = attempts[attempts.length - 1] as LedgerAttempt
  const same = attempts.filter(a => sameLabels(a, last))
  return {
    grams: same.reduce((t, a) => t + a.grams, 0),
    ...labelsOfPriced(last),
    source: [...new Set(same.map(a => a.source))].join(' + '),
    provisional: same.some(a => a.provisional)
  }
}

function avoidedNote (baseline: Priced, actual: Priced, attempts: LedgerAttempt[]): string | null {
  const differing = attempts.find(a => !sameLabels(a, actual))
  if (differing !== undefined) return `attempt ${differing.attempt} was priced on ${describe(differing)} intensity and the last on ${describe(actual)}: it is listed in attempts and not summed into actual`
  if (sameLabels(baseline, actual)) return null
  return `baseline is on ${describe(baseline)} intensity (${baseline.source}) and actual on ${describe(actual)} (${actual.source}): figures that count different things are never compared`
}

const describe = (l: Labels) => `${l.signal} ${l.gas} ${l.factorType}`

function methodOf (metered: Metered[]): JobLedger['energyMethod'] {
  if (metered.every(m => m.method === 'measured')) return 'measured'
  return metered.every(m => m.method === 'estimated') ? 'estimated' : 'mixed'
}

function expectedFigure (plan: JobPlan): LedgerFigure {
  const e = plan.expected
  return { grams: e.grams, ...labelsOf(e), source: e.source, method: 'expected', provisional: false }
}

/** gCO2e of manufacturing the GPUs over every attempt's GPU-hours; null when no pool sets a figure. */
function embodiedGrams (gpus: number, metered: Metered[]): number | null {
  const rated = metered.filter(m => m.input.pool.embodiedGPerGpuHour !== null)
  if (rated.length === 0) return null
  return rated.reduce((t, m) => t + (m.input.pool.embodiedGPerGpuHour ?? 0) * gpus * hours(m.input), 0)
}

/**
 * Market-based Scope 2 (GHG Protocol): each attempt's energy × its pool's contractual or
 * residual-mix factor; where a pool has none, its location-based average figure stands in.
 * Null when an attempt has neither (a marginal zone without a market factor).
 */
function marketFigure (metered: Metered[], attempts: LedgerAttempt[]): MarketFigure | null {
  if (attempts.some(a => a.marketGrams === null)) return null
  const grams = attempts.reduce((t, a) => t + (a.marketGrams ?? 0), 0)
  const kwh = attempts.reduce((t, a) => t + a.energyKwh, 0)
  const factors = metered.map(m => m.input.pool.market ?? null)
  const bases = [...new Set(factors.map(f => f?.kind ?? 'location'))]
  const instruments = [...new Set(factors.flatMap(f => f === null ? [] : [f.instrument]))]
  return {
    grams,
    gPerKwh: kwh > 0 ? grams / kwh : 0,
    instrument: instruments.length === 0 ? null : instruments.join(' + '),
    basis: bases.length === 1 ? bases[0] as MarketFigure['basis'] : 'mixed'
  }
}

/** SCI = (E × I + M) per functional unit: the job, or the last attempt's GPU-hours. */
function sciFigure (job: LedgerInput['job'], runMs: number, grams: number): SciFigure {
  if (job.sciUnit === 'gpu-hour') {
    const units = job.gpus * runMs / HOUR_MS
    return { grams: units > 0 ? grams / units : 0, unit: 'gpu-hour', units }
  }
  return { grams, unit: 'job', units: 1 }
}

function noData (zone: string, span: Interval): LedgerOutcome {
  const at = `[${new Date(span.start).toISOString()}, ${new Date(span.end).toISOString()})`
  return { ok: false, reason: 'no-intensity-data', detail: `zone ${zone} has neither actual nor forecast intensity for all of ${at}` }
}

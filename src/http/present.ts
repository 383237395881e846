import { labelsOf } from '../core/ledger-price.js'
import type { Instant, Job, JobPlan, JobRun } from '../core/types.js'
import type { Segment } from '../store/segments.js'
import type { QuoteOption } from '../scheduler/quote.js'

/** An instant as the API shows it: RFC 3339, UTC. */
export const iso = (t: Instant): string => new Date(t).toISOString()
const isoOrNull = (t: Instant | null): string | null => t === null ? null : iso(t)

/** Rounds grams to 0.1 g: the inputs are not more precise than that, and JSON stays readable. */
export const grams = (g: number): number => Math.round(g * 10) / 10
/** Rounds kWh to 1 mWh, so a short test run still shows its energy. */
export const kwh = (e: number): number => Math.round(e * 1_000_000) / 1_000_000

/** A plan's baseline without the power model kept for its ledger. */
function withoutModel<T extends { model?: unknown }> (b: T): Omit<T, 'model'> {
  const rest = { ...b }
  delete rest.model
  return rest
}

/** A stored plan as the API shows it; a plan stored before figures were labelled states the defaults of its signal (`labelsOf`). */
export function presentPlan (plan: JobPlan) {
  const avoidedPercent = plan.baseline.grams > 0 ? 100 * plan.expectedAvoidedGrams / plan.baseline.grams : 0
  const expected = { ...plan.expected, ...labelsOf(plan.expected) }
  return {
    pool: plan.pool,
    zone: plan.zone,
    segments: plan.segments.map(s => ({ start: iso(s.start), end: iso(s.end) })),
    latestSafeStart: iso(plan.latestSafeStart),
    energyKwh: Math.round(plan.energyKwh * 1000) / 1000,
    expected: { ...expected, grams: grams(plan.expected.grams), ...(plan.expected.band === undefined ? {} : { band: { p10: grams(plan.expected.band.p10), p90: grams(plan.expected.band.p90) } }) },
    baseline: { ...withoutModel(plan.baseline), ...labelsOf(plan.baseline), grams: grams(plan.baseline.grams), start: iso(plan.baseline.start), rule: plan.baseline.rule ?? 'config-order' },
    expectedAvoided: {
      grams: grams(plan.expectedAvoidedGrams),
      percent: Math.round(avoidedPercent * 100) / 100,
      signal: expected.signal,
      gas: expected.gas,
      factorType: expected.factorType,
      source: expected.source
    },
    plannedAt: iso(plan.plannedAt)
  }
}

/** A job as the API shows it: instants as RFC 3339 UTC strings. */
export function presentJob (job: Job) {
  return {
    id: job.id,
    name: job.name,
    state: job.state,
    gpus: job.gpus,
    durationMinutes: job.durationMinutes,
    deadline: iso(job.deadline),
    notBefore: isoOrNull(job.notBefore),
    interruptible: job.interruptible,
    minSegmentMinutes: job.minSegmentMinutes,
    pools: job.pools,
    zones: job.zones,
    preferredPool: job.preferredPool,
    sciUnit: job.sciUnit,
    risk: job.risk,
    wattsPerGpu: job.wattsPerGpu,
    energyKwh: job.energyKwh,
    command: job.command,
    payload: job.payload,
    labels: job.labels,
    submittedAt: iso(job.submittedAt),
    updatedAt: iso(job.updatedAt),
    plan: job.plan === null ? null : presentPlan(job.plan),
    work: job.work ?? null,
    estimate: job.workEstimate ?? null
  }
}

export function presentOption (o: QuoteOption) {
  return { pool: o.pool, zone: o.zone, start: iso(o.start), grams: grams(o.grams), ...(o.band === undefined ? {} : { band: { p10: grams(o.band.p10), p90: grams(o.band.p90) } }), gas: o.gas, factorType: o.factorType, usesFallback: o.usesFallback }
}

/** A run (one hand-over to an executor) as the API shows it. */
export function presentRun (r: JobRun) {
  return {
    attempt: r.attempt,
    pool: r.pool,
    executor: r.executor,
    ref: r.ref,
    dispatchedAt: iso(r.dispatchedAt),
    acceptedAt: isoOrNull(r.acceptedAt),
    startedAt: isoOrNull(r.startedAt),
    finishedAt: isoOrNull(r.finishedAt),
    heartbeatAt: isoOrNull(r.heartbeatAt),
    progress: r.progress,
    exitCode: r.exitCode,
    energyKwh: r.energyKwh === null ? null : kwh(r.energyKwh),
    outcome: r.outcome,
    detail: r.detail
  }
}

export function presentSegment (s: Segment) {
  return { kind: s.kind, pool: s.pool, start: iso(s.start), end: iso(s.end) }
}

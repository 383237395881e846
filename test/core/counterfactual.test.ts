import { describe, expect, test } from 'vitest'
import { computeLedger } from '../../src/core/ledger.js'
import { planJob } from '../../src/core/planner.js'
import { poolModel, type PlanOutcome, type Series } from '../../src/core/types.js'
import { toJobPlan } from '../../src/scheduler/plan.js'
import { HOUR, pool, request, T0 } from './helpers.js'

// One counterfactual for plan and ledger: the figures a plan promises are the figures its ledger
// books when the job runs exactly as planned with exactly the estimated energy.

/** Hourly values from T0 in zone `zone`. */
function hourly (zone: string, values: number[]): Series {
  return { zone, signal: 'average', source: `replay:${zone}`, points: values.map((g, i) => ({ start: T0 + i * HOUR, end: T0 + (i + 1) * HOUR, gPerKwh: g })) }
}

// The case: preferred pool h100-de (700 W, PUE 1.5, dirty), run on a100-gb (400 W, PUE 1.1, clean later).
const h100 = pool('h100-de', { zone: 'DE', wattsPerGpu: 700, pue: 1.5, hostWattsPerGpu: 50, gpuCount: 16 })
const a100 = pool('a100-gb', { zone: 'GB', wattsPerGpu: 400, pue: 1.1, hostWattsPerGpu: 80, gpuCount: 16 })
const de = hourly('DE', [528, 500, 480, 470, 460, 450, 440, 430, 420, 410, 400, 390])
const gb = hourly('GB', [300, 250, 200, 120, 80, 60, 60, 90, 150, 200, 250, 300])

function planned (over: Parameters<typeof request>[0] = {}): Extract<PlanOutcome, { ok: true }> {
  const req = request({ gpus: 8, durationMs: 2 * HOUR, earliestStart: T0, deadline: T0 + 12 * HOUR, pools: ['h100-de', 'a100-gb'], baselineRule: 'preferred', baselineStart: T0, ...over })
  const outcome = planJob(req, [{ pool: h100, series: de, reservations: [] }, { pool: a100, series: gb, reservations: [] }], T0)
  if (!outcome.ok) throw new Error(outcome.detail)
  return outcome
}

function ledgerAsPlanned (outcome: Extract<PlanOutcome, { ok: true }>, energyKwh?: number) {
  const plan = toJobPlan(outcome, T0)
  const run = plan.segments[0]!
  const runPool = plan.pool === 'a100-gb' ? a100 : h100
  const out = computeLedger({
    job: { gpus: 8, durationMs: 2 * HOUR, submittedAt: T0, notBefore: null, ...(energyKwh === undefined ? {} : { energyKwh }) },
    plan,
    attempts: [{ attempt: 1, outcome: 'succeeded', pool: poolModel(runPool), executor: 'agent', ...run, energyKwh: null, zone: { actual: runPool === a100 ? gb : de, forecast: gb } }],
    baseline: { pool: plan.baseline.model!, rule: plan.baseline.rule!, zone: { actual: de, forecast: de } },
    now: T0 + 24 * HOUR
  })
  if (!out.ok) throw new Error(out.detail)
  return { plan, ledger: out.ledger }
}

describe('one counterfactual for plan and ledger', () => {
  test('ran exactly as planned on another pool than the baseline: ledger avoided = plan expectedAvoided, host and PUE included', () => {
    const { plan, ledger } = ledgerAsPlanned(planned())
    expect(plan.pool).toBe('a100-gb')
    expect(plan.baseline).toMatchObject({ pool: 'h100-de', rule: 'preferred', start: T0 })
    expect(ledger.baseline.grams).toBeCloseTo(plan.baseline.grams, 6)
    expect(ledger.actual.grams).toBeCloseTo(plan.expected.grams, 6)
    expect(ledger.avoidedGrams).toBeCloseTo(plan.expectedAvoidedGrams, 6)
    expect(ledger.baseline.energyKwh).toBeCloseTo(8 * (700 + 50) * 1.5 / 1000 * 2, 9)
  })

  test('the same with a job energy override (IT energy, × each pool\'s PUE)', () => {
    const { plan, ledger } = ledgerAsPlanned(planned({ energyKwh: 9 }), 9)
    expect(plan.energyKwh).toBeCloseTo(9 * 1.1, 9)
    expect(ledger.energyKwh).toBeCloseTo(9 * 1.1, 9)
    expect(ledger.baseline.energyKwh).toBeCloseTo(9 * 1.5, 9)
    expect(ledger.avoidedGrams).toBeCloseTo(plan.expectedAvoidedGrams, 6)
  })

  test('a plan that starts at once on the baseline pool promises 0 and books 0', () => {
    const { plan, ledger } = ledgerAsPlanned(planned({ pools: ['h100-de'], deadline: T0 + 2 * HOUR + 1 }))
    expect(plan.expectedAvoidedGrams).toBe(0)
    expect(ledger.avoidedGrams).toBe(0)
  })
})

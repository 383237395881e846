import { describe, expect, test } from 'vitest'
import { computeLedger, type AttemptInput, type LedgerInput, type ZoneIntensity } from '../../src/core/ledger.js'
import { upgrade } from '../../src/core/ledger-upgrade.js'
import { poolModel, type JobLedger, type JobPlan, type Series, type Signal } from '../../src/core/types.js'
import { HOUR, MIN, pool, T0 } from './helpers.js'

/** A flat series of `g` gCO2e/kWh over [from, to) in hourly points. */
function flat (g: number, from: number, to: number, source: string, signal: Signal = 'average', over: Partial<Series> = {}): Series {
  const points = []
  for (let t = from; t < to; t += HOUR) points.push({ start: t, end: Math.min(t + HOUR, to), gPerKwh: g })
  return { zone: 'Z', signal, source, points, ...over }
}

const none = (source = 'none', signal: Signal = 'average'): Series => ({ zone: 'Z', signal, source, points: [] })

/** Run pool `here`: 700 W per GPU at PUE 1.2. Baseline pool `home`: another zone, the same model. */
const here = poolModel(pool('here', { zone: 'HERE', wattsPerGpu: 700, pue: 1.2 }))
const home = poolModel(pool('home', { zone: 'HOME', wattsPerGpu: 700, pue: 1.2 }))

/** Planned 2 h from T0 + 6 h on `here`; baseline at T0 on `home`. */
const plan: JobPlan = {
  pool: 'here',
  zone: 'HERE',
  segments: [{ start: T0 + 6 * HOUR, end: T0 + 8 * HOUR }],
  latestSafeStart: T0 + 20 * HOUR,
  energyKwh: 6.72,
  expected: { grams: 1500, signal: 'average', source: 'fc-here', method: 'expected', usesFallback: false },
  baseline: { grams: 2600, signal: 'average', source: 'fc-home', method: 'expected', usesFallback: false, pool: 'home', start: T0 },
  expectedAvoidedGrams: 1100,
  plannedAt: T0
}

const NOW = T0 + 24 * HOUR
const RUN = { start: T0 + 6 * HOUR, end: T0 + 8 * HOUR }
const hereZone: ZoneIntensity = { actual: flat(250, T0, NOW, 'act-here'), forecast: flat(300, T0, NOW + 24 * HOUR, 'fc-here') }

function attempt (over: Partial<AttemptInput> = {}): AttemptInput {
  return { attempt: 1, outcome: 'succeeded', pool: here, executor: 'agent', ...RUN, energyKwh: null, zone: hereZone, ...over }
}

/** 4 GPUs for 2 h, run in HERE at 250 g/kWh actual; baseline in HOME at 400 g/kWh actual. */
function input (over: Partial<LedgerInput> = {}): LedgerInput {
  return {
    job: { gpus: 4, durationMs: 2 * HOUR, submittedAt: T0, notBefore: null },
    plan,
    attempts: [attempt()],
    baseline: { pool: home, rule: 'config-order', zone: { actual: flat(400, T0, NOW, 'act-home'), forecast: flat(450, T0, NOW + 24 * HOUR, 'fc-home') } },
    now: NOW,
    ...over
  }
}

function ledgerOf (i: LedgerInput): JobLedger {
  const out = computeLedger(i)
  if (!out.ok) throw new Error(out.detail)
  return out.ledger
}

const labels = { signal: 'average', gas: 'co2e', factorType: 'lifecycle' }

describe('computeLedger', () => {
  test('estimated: 4 GPUs × 700 W × PUE 1.2 for 2 h = 6.72 kWh; actual, baseline and avoided on actual intensity', () => {
    const l = ledgerOf(input())
    expect(l.energyKwh).toBeCloseTo(6.72, 9)
    expect(l.gpuEnergyKwh).toBeCloseTo(6.72, 9)
    expect(l.hostEnergyKwh).toBe(0)
    expect(l.energyMethod).toBe('estimated')
    expect(l.runMs).toBe(2 * HOUR)
    // 3.36 kW × 2 h × 250 g/kWh = 1680 g; the same at 400 g/kWh = 2688 g.
    expect(l.actual).toEqual({ grams: expect.closeTo(1680, 6), ...labels, source: 'actual:act-here', method: 'estimated', provisional: false, pool: 'here', zone: 'HERE', start: RUN.start, end: RUN.end })
    expect(l.baseline).toEqual({
      grams: expect.closeTo(2688, 6), ...labels, source: 'actual:act-home', method: 'estimated', provisional: false,
      pool: 'home', zone: 'HOME', start: T0, end: T0 + 2 * HOUR, rule: 'config-order', energyKwh: expect.closeTo(6.72, 9)
    })
    expect(l.avoidedGrams).toBeCloseTo(1008, 6)
    expect(l.avoidedNote).toBeNull()
    expect(l.expected).toEqual({ grams: 1500, ...labels, source: 'fc-here', method: 'expected', provisional: false })
    expect(l.provisional).toBe(false)
    expect(l.verified).toBe(true)
    expect(l.embodiedGrams).toBeNull()
    expect(l.sci).toEqual({ grams: expect.closeTo(1680, 6), unit: 'job', units: 1 })
    expect(l.computedAt).toBe(NOW)
  })

  test('measured by an agent: its GPU energy (× PUE, as stored) plus the host\'s modelled power', () => {
    const withHost = { ...here, hostWattsPerGpu: 100 }
    const l = ledgerOf(input({ attempts: [attempt({ pool: withHost, energyKwh: 5 })] }))
    // Host: 4 GPUs × 100 W × PUE 1.2 × 2 h = 0.96 kWh.
    expect(l).toMatchObject({ energyMethod: 'measured', gpuEnergyKwh: 5, hostEnergyKwh: expect.closeTo(0.96, 9), energyKwh: expect.closeTo(5.96, 9) })
    expect(l.actual.grams).toBeCloseTo(5.96 * 250, 6)
  })

  test('measured at the node (Slurm, webhook): split between GPUs and host in the pool model\'s proportions', () => {
    const withHost = { ...here, hostWattsPerGpu: 175 }
    const l = ledgerOf(input({ attempts: [attempt({ pool: withHost, executor: 'slurm', energyKwh: 5 })] }))
    // 700 : 175 = 4 : 1.
    expect(l).toMatchObject({ energyKwh: 5, gpuEnergyKwh: expect.closeTo(4, 9), hostEnergyKwh: expect.closeTo(1, 9) })
  })

  test('a job\'s energyKwh is IT energy: PUE applies to it as to wattsPerGpu (10 kWh over 4 h, 2 h run, PUE 1.2 = 6 kWh)', () => {
    const l = ledgerOf(input({ job: { gpus: 4, durationMs: 4 * HOUR, energyKwh: 10, submittedAt: T0, notBefore: null } }))
    expect(l.energyKwh).toBeCloseTo(6, 9)
  })

  test('the baseline draws the energy the job would have drawn on the baseline pool: PUE and power models scale the measured energy', () => {
    // Ran on an A100 pool (400 W, PUE 1.1); baseline an H100 pool (700 W, PUE 1.5): 5 kWh measured × (700 × 1.5) / (400 × 1.1).
    const a100 = poolModel(pool('a100', { zone: 'HERE', wattsPerGpu: 400, pue: 1.1 }))
    const h100 = poolModel(pool('h100', { zone: 'HOME', wattsPerGpu: 700, pue: 1.5 }))
    const l = ledgerOf(input({ attempts: [attempt({ pool: a100, energyKwh: 5 })], baseline: { ...input().baseline, pool: h100, rule: 'preferred' } }))
    const kwh = 5 * (700 * 1.5) / (400 * 1.1)
    expect(l.baseline).toMatchObject({ energyKwh: expect.closeTo(kwh, 9), grams: expect.closeTo(kwh * 400, 6), rule: 'preferred', pool: 'h100' })
    expect(l.avoidedGrams).toBeCloseTo(kwh * 400 - 5 * 250, 6)
  })

  test('the baseline starts at max(submittedAt, notBefore), not at a re-plan after a lost attempt', () => {
    const job = { gpus: 4, durationMs: 2 * HOUR, submittedAt: T0 + HOUR, notBefore: T0 + 3 * HOUR }
    const replanned = { ...plan, baseline: { ...plan.baseline, start: T0 + 5 * HOUR } }
    expect(ledgerOf(input({ job, plan: replanned })).baseline).toMatchObject({ start: T0 + 3 * HOUR, end: T0 + 5 * HOUR })
    expect(ledgerOf(input({ job: { ...job, notBefore: null }, plan: replanned })).baseline.start).toBe(T0 + HOUR)
  })

  test('a job planned to start at once on its baseline pool avoids exactly 0, whatever the dispatch lag', () => {
    // 528 g/kWh until T0 + 20 s, then 100: the run started 21.6 s late, across the step.
    const step: Series = { zone: 'HOME', signal: 'average', source: 'step', points: [{ start: T0, end: T0 + 20_000, gPerKwh: 528 }, { start: T0 + 20_000, end: NOW, gPerKwh: 100 }] }
    const zone = { actual: step, forecast: none() }
    const atOnce = { ...plan, pool: 'home', zone: 'HOME', segments: [{ start: T0, end: T0 + 2 * HOUR }] }
    const late = { start: T0 + 21_600, end: T0 + 21_600 + 2 * HOUR }
    const l = ledgerOf(input({ plan: atOnce, attempts: [attempt({ pool: home, ...late, zone })], baseline: { pool: home, rule: 'config-order', zone } }))
    expect(l.avoidedGrams).toBe(0)
    expect(l.baseline).toMatchObject({ start: late.start, end: late.end })
  })

  test('every attempt counts: a lost one priced on its own interval, summed, listed, and charged against avoided', () => {
    const lost = attempt({ attempt: 1, outcome: 'lost', start: T0 + 2 * HOUR, end: T0 + 2 * HOUR + 12 * MIN, energyKwh: 0.05 })
    const second = attempt({ attempt: 2, energyKwh: 0.02 })
    const l = ledgerOf(input({ attempts: [lost, second] }))
    expect(l.attempts.map(a => [a.attempt, a.outcome, a.energyKwh, a.energyMethod])).toEqual([[1, 'lost', 0.05, 'measured'], [2, 'succeeded', 0.02, 'measured']])
    expect(l.attempts[0]).toMatchObject({ start: T0 + 2 * HOUR, end: T0 + 2 * HOUR + 12 * MIN, grams: expect.closeTo(0.05 * 250, 9) })
    expect(l.energyKwh).toBeCloseTo(0.07, 12)
    expect(l.actual.grams).toBeCloseTo(0.07 * 250, 9)
    expect(l.runMs).toBe(2 * HOUR + 12 * MIN)
    expect(l.actual.start).toBe(T0 + 2 * HOUR)
    // The baseline is the last attempt's work: 0.02 kWh at 400 g/kWh.
    expect(l.baseline.grams).toBeCloseTo(0.02 * 400, 9)
    expect(l.avoidedGrams).toBeCloseTo(0.02 * 400 - 0.07 * 250, 9)
  })

  test('estimated and measured attempts together are `mixed`', () => {
    const l = ledgerOf(input({ attempts: [attempt({ attempt: 1, outcome: 'lost', start: T0, end: T0 + HOUR }), attempt({ attempt: 2, energyKwh: 5 })] }))
    expect(l.energyMethod).toBe('mixed')
  })

  test('partial points are integrated exactly: a run from :30 to :30 over 100 and 300 g/kWh hours', () => {
    const points = [{ start: T0 + 6 * HOUR, end: T0 + 7 * HOUR, gPerKwh: 100 }, { start: T0 + 7 * HOUR, end: T0 + 8 * HOUR, gPerKwh: 300 }]
    const zone: ZoneIntensity = { actual: { zone: 'HERE', signal: 'average', source: 'a', points }, forecast: none() }
    const l = ledgerOf(input({ attempts: [attempt({ start: T0 + 6 * HOUR + 30 * MIN, end: T0 + 7 * HOUR + 30 * MIN, energyKwh: 2, zone })] }))
    // 2 kW: ½ h × 100 + ½ h × 300 = 200 g/kWh·h × 2 kW = 400 g.
    expect(l.actual.grams).toBeCloseTo(400, 9)
  })

  test('provisional while actuals stop mid-run: the rest is priced on the stored forecast and labelled', () => {
    const zone = { actual: flat(250, T0, RUN.start + HOUR, 'act-here'), forecast: flat(300, T0, NOW, 'fc-here') }
    const l = ledgerOf(input({ attempts: [attempt({ zone })] }))
    // 3.36 kW × (1 h × 250 + 1 h × 300) = 1848 g.
    expect(l.actual.grams).toBeCloseTo(1848, 6)
    expect(l.actual.source).toBe('actual:act-here + forecast:fc-here')
    expect(l).toMatchObject({ provisional: true, verified: false, actual: { provisional: true }, baseline: { provisional: false } })
    expect(l.avoidedGrams).toBeCloseTo(2688 - 1848, 6)
  })

  test('sources carry their versions: a file\'s hash, an API\'s fetch time', () => {
    const zone = { actual: flat(250, T0, NOW, 'csv:lab.csv', 'average', { version: 'sha256:0123abcd' }), forecast: none() }
    expect(ledgerOf(input({ attempts: [attempt({ zone })] })).actual.source).toBe('actual:csv:lab.csv@sha256:0123abcd')
  })

  test('actual points after now are not actuals yet, whatever the provider returned', () => {
    const l = ledgerOf(input({ now: RUN.start + HOUR }))
    expect(l.actual.provisional).toBe(true)
    expect(l.actual.grams).toBeCloseTo(3.36 * (250 + 300), 6)
  })

  test('beyond the forecast horizon the labelled fallback profile says so', () => {
    const forecast = { ...flat(300, T0, NOW, 'fc-here'), fallbackFrom: RUN.start + HOUR }
    const l = ledgerOf(input({ attempts: [attempt({ zone: { actual: none(), forecast } })] }))
    expect(l.actual.source).toBe('fallback:fc-here')
  })

  test('actuals and a forecast of another signal are never mixed in one figure: the forecast prices it all', () => {
    const zone = { actual: flat(250, T0, RUN.start + HOUR, 'act-here'), forecast: flat(300, T0, NOW, 'moer', 'marginal') }
    const l = ledgerOf(input({ attempts: [attempt({ zone })] }))
    expect(l.actual).toMatchObject({ grams: expect.closeTo(2016, 6), signal: 'marginal', gas: 'co2', factorType: 'marginal', source: 'forecast:moer', provisional: true })
    expect(l.avoidedGrams).toBeNull()
  })

  test('different signals, gases or factor types on the two sides → avoided is null and says why', () => {
    const marginal = { actual: flat(800, T0, NOW, 'watttime:CAISO_NORTH:co2_moer', 'marginal'), forecast: none() }
    const direct = { actual: flat(400, T0, NOW, 'electricitymaps', 'average', { factorType: 'direct' as const }), forecast: none() }
    const co2 = { actual: flat(400, T0, NOW, 'carbonintensity-uk', 'average', { gas: 'co2' as const }), forecast: none() }
    for (const [zone, word] of [[marginal, 'marginal'], [direct, 'direct'], [co2, 'co2 ']] as const) {
      const l = ledgerOf(input({ baseline: { pool: home, rule: 'config-order', zone } }))
      expect(l.avoidedGrams).toBeNull()
      expect(l.avoidedNote).toContain(word)
    }
  })

  test('market-based Scope 2 beside location-based: the pool\'s contract factor, else the location-based average stands in', () => {
    const ppa = { ...here, market: { gPerKwh: 25, instrument: 'PPA wind 2026', kind: 'contract' as const } }
    const l = ledgerOf(input({ attempts: [attempt({ pool: ppa, energyKwh: 5 })] }))
    expect(l.marketBased).toEqual({ grams: 125, gPerKwh: 25, instrument: 'PPA wind 2026', basis: 'contract' })
    expect(l.actual.grams).toBeCloseTo(1250, 9)
    expect(ledgerOf(input()).marketBased).toEqual({ grams: expect.closeTo(1680, 6), gPerKwh: expect.closeTo(250, 9), instrument: null, basis: 'location' })
    const marginal = { actual: flat(800, T0, NOW, 'moer', 'marginal'), forecast: none() }
    expect(ledgerOf(input({ attempts: [attempt({ zone: marginal })] })).marketBased).toBeNull()
  })

  test('embodied carbon is reported apart and never added, but is part of SCI: 50 g/GPU-h × 4 GPUs × 2 h = 400 g', () => {
    const l = ledgerOf(input({ attempts: [attempt({ pool: { ...here, embodiedGPerGpuHour: 50 } })] }))
    expect(l.embodiedGrams).toBeCloseTo(400, 9)
    expect(l.actual.grams).toBeCloseTo(1680, 6)
    expect(l.avoidedGrams).toBeCloseTo(1008, 6)
    expect(l.sci.grams).toBeCloseTo(2080, 6)
    const perGpuHour = ledgerOf(input({ job: { ...input().job, sciUnit: 'gpu-hour' }, attempts: [attempt({ pool: { ...here, embodiedGPerGpuHour: 50 } })] }))
    expect(perGpuHour.sci).toEqual({ grams: expect.closeTo(2080 / 8, 6), unit: 'gpu-hour', units: 8 })
  })

  test('overlapping stored points (two fetches) do not break pricing: the earlier start keeps the shared time', () => {
    const actual: Series = { zone: 'Z', signal: 'average', source: 'a', points: [
      { start: T0, end: RUN.start + HOUR, gPerKwh: 250 },
      { start: RUN.start + 30 * MIN, end: NOW, gPerKwh: 250 }
    ] }
    expect(ledgerOf(input({ attempts: [attempt({ zone: { actual, forecast: none() } })] })).actual.grams).toBeCloseTo(1680, 6)
  })

  test('no intensity for the baseline interval at all, or a run without duration, is an outcome, not a throw', () => {
    const out = computeLedger(input({ baseline: { pool: home, rule: 'config-order', zone: { actual: none(), forecast: none() } } }))
    expect(out).toMatchObject({ ok: false, reason: 'no-intensity-data' })
    expect(computeLedger(input({ attempts: [attempt({ end: RUN.start, energyKwh: 1 })] }))).toMatchObject({ ok: false, reason: 'empty-run' })
  })

  test('a ledger stored by an earlier release reads as one attempt; one settled unverified by this release stays unverified', () => {
    const old: Partial<JobLedger> = { ...ledgerOf(input()) }
    for (const key of ['attempts', 'gpuEnergyKwh', 'hostEnergyKwh', 'marketBased', 'sci', 'verified'] as const) delete old[key]
    const read = upgrade({ ...old, provisional: false } as unknown as JobLedger)
    expect(read.attempts).toHaveLength(1)
    expect(read).toMatchObject({ verified: true, gpuEnergyKwh: old.energyKwh, hostEnergyKwh: 0 })
    expect(upgrade({ ...old, provisional: false, verified: false } as unknown as JobLedger).verified).toBe(false)
  })

  test('attempts priced on other labels are listed, never summed into actual, and avoided is null', () => {
    const co2 = { actual: flat(250, T0, NOW, 'carbonintensity-uk', 'average', { gas: 'co2' as const }), forecast: none() }
    const l = ledgerOf(input({ attempts: [attempt({ attempt: 1, outcome: 'lost', start: T0, end: T0 + HOUR, energyKwh: 1, zone: co2 }), attempt({ attempt: 2, energyKwh: 5 })] }))
    expect(l.attempts.map(a => a.gas)).toEqual(['co2', 'co2e'])
    expect(l.actual).toMatchObject({ grams: expect.closeTo(1250, 9), gas: 'co2e' })
    expect(l.avoidedGrams).toBeNull()
    expect(l.avoidedNote).toContain('attempt 1')
  })
})


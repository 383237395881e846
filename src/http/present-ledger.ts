import { Type } from 'typebox'
import { Nullable } from './schema-parts.js'
import { labelsOf } from '../core/ledger-price.js'
import { upgrade } from '../core/ledger-upgrade.js'
import type { JobLedger, LedgerAttempt, LedgerFigure as Figure } from '../core/types.js'
import { grams, iso, kwh } from './present.js'
const gramsOrNull = (g: number | null): number | null => g === null ? null : grams(g)


export const Signal = Type.Union([Type.Literal('average'), Type.Literal('marginal')], { description: 'never compared or summed across' })
export const Gas = Type.Union([Type.Literal('co2'), Type.Literal('co2e')], { description: 'co2: carbon dioxide only (WattTime, UK Carbon Intensity, Energinet); co2e: CO2-equivalents of all greenhouse gases' })
export const FactorType = Type.Union([Type.Literal('lifecycle'), Type.Literal('direct'), Type.Literal('marginal')], {
  description: 'lifecycle: construction, fuel supply and combustion; direct: combustion only; marginal: the marginal plant\'s rate'
})
const Method = Type.Union([Type.Literal('expected'), Type.Literal('measured'), Type.Literal('estimated')], { description: 'expected: at plan time; measured or estimated: the energy the figure rests on' })

const Labels = {
  signal: Signal,
  gas: Gas,
  factorType: FactorType,
  source: Type.String({ description: 'actual:<source>@<version>, forecast:<source>@<version> or fallback:<source>@<version>, joined with " + " when actuals do not cover the interval yet or attempts used several' })
}

const Figure = {
  grams: Type.Number({ description: 'grams of the gas in `gas`' }),
  ...Labels,
  method: Method,
  provisional: Type.Boolean({ description: 'true while actual intensity does not yet cover the interval; the rest is priced on the stored forecast' })
}

const Attempt = Type.Object({
  attempt: Type.Integer(),
  pool: Type.String(),
  zone: Type.String(),
  outcome: Type.String({ description: 'succeeded, failed, cancelled or lost: every attempt that ran is counted' }),
  start: Type.String({ format: 'date-time' }),
  end: Type.String({ format: 'date-time' }),
  energyKwh: Type.Number({ description: 'GPU + host energy at the facility boundary (IT × PUE), kWh' }),
  gpuEnergyKwh: Type.Number(),
  hostEnergyKwh: Type.Number(),
  energyMethod: Type.Union([Type.Literal('measured'), Type.Literal('estimated')]),
  grams: Type.Number({ description: 'location-based, on the actual intensity of the attempt\'s zone over its interval' }),
  marketGrams: Nullable(Type.Number({ description: 'market-based' })),
  ...Labels,
  provisional: Type.Boolean()
})

/** A job's carbon ledger as the API shows it (the job detail route embeds it). */
export const Ledger = Type.Object({
  energyKwh: Type.Number({ description: 'every attempt\'s GPU + host energy at the facility boundary (IT × PUE), kWh' }),
  gpuEnergyKwh: Type.Number({ description: 'the GPUs\' share, kWh' }),
  hostEnergyKwh: Type.Number({ description: 'the host\'s share (CPU, RAM, network: the pool\'s hostWattsPerGpu), kWh' }),
  energyMethod: Type.Union([Type.Literal('measured'), Type.Literal('estimated'), Type.Literal('mixed')], { description: 'measured by the executors, the pool power model over the real run times, or some of each' }),
  runMinutes: Type.Number({ description: 'how long every attempt ran, in total' }),
  attempts: Type.Array(Attempt, { description: 'every attempt that ran, lost and failed ones included' }),
  expected: Type.Object(Figure, { description: 'the plan\'s expected figure, on the forecast, as stored at planning' }),
  baseline: Type.Object({
    ...Figure,
    pool: Type.String(),
    zone: Type.String(),
    start: Type.String({ format: 'date-time' }),
    end: Type.String({ format: 'date-time' }),
    rule: Type.Union([Type.Literal('preferred'), Type.Literal('home'), Type.Literal('config-order')], { description: 'how the baseline pool was chosen' }),
    energyKwh: Type.Number({ description: 'the last attempt\'s energy scaled by the two pools\' power models' })
  }, { description: 'the counterfactual: the job started at max(submittedAt, notBefore) on the baseline pool, on actual intensity' }),
  actual: Type.Object({ ...Figure, pool: Type.String(), zone: Type.String(), start: Type.String({ format: 'date-time' }), end: Type.String({ format: 'date-time' }) }, {
    description: 'every attempt, each on the actual intensity of its own interval; pool and zone of the last'
  }),
  avoidedGrams: Nullable(Type.Number({ description: 'baseline − actual (wasted attempts included)' })),
  avoidedPercent: Nullable(Type.Number({ description: '100 × avoided / baseline' })),
  avoidedNote: Nullable(Type.String({ description: 'why avoidedGrams is null: baseline and actual differ in signal, gas or factor type' })),
  marketBased: Nullable(Type.Object({
    grams: Type.Number(),
    gPerKwh: Type.Number({ description: 'energy-weighted factor' }),
    instrument: Nullable(Type.String()),
    basis: Type.Union([Type.Literal('contract'), Type.Literal('residual-mix'), Type.Literal('location'), Type.Literal('mixed')])
  }, { description: 'Scope 2 market-based: the pools\' contractual or residual-mix factors; location-based stands in where a pool has none (average zones only)' })),
  sci: Type.Object({
    grams: Type.Number({ description: '(E × I + M) per unit: location-based actual plus embodied' }),
    unit: Type.Union([Type.Literal('job'), Type.Literal('gpu-hour'), Type.Literal('1k-tokens')]),
    units: Type.Number()
  }, { description: 'Software Carbon Intensity (Green Software Foundation)' }),
  provisional: Type.Boolean({ description: 'true while any figure is; the scheduler recomputes it as actuals arrive' }),
  verified: Type.Boolean({ description: 'true when every figure rests on actual intensity; false while provisional, and for a ledger settled on forecasts after its actuals passed retention' }),
  embodiedGrams: Nullable(Type.Number({ description: 'embodied carbon of the GPU-hours, grams CO2e; never added to the operational figures; null when the pool sets no figure' })),
  computedAt: Type.String({ format: 'date-time' }),
  restated: Type.Optional(Type.Object({ at: Type.String({ format: 'date-time' }), reason: Type.String() }))
})

function figure (f: Figure) {
  const l = labelsOf(f)
  return { grams: grams(f.grams), signal: l.signal, gas: l.gas, factorType: l.factorType, source: f.source, method: f.method, provisional: f.provisional }
}

function attempt (a: LedgerAttempt) {
  return {
    ...a,
    start: iso(a.start),
    end: iso(a.end),
    energyKwh: kwh(a.energyKwh),
    gpuEnergyKwh: kwh(a.gpuEnergyKwh),
    hostEnergyKwh: kwh(a.hostEnergyKwh),
    grams: grams(a.grams),
    marketGrams: gramsOrNull(a.marketGrams)
  }
}

/**
 * A ledger with instants as RFC 3339 UTC strings and figures rounded (see `grams`). Ledgers stored
 * before attempts, labels and market figures were kept show their one run as the only attempt.
 */
export function presentLedger (stored: JobLedger) {
  const ledger = upgrade(stored)
  const { avoidedGrams, baseline, actual } = ledger
  const percent = avoidedGrams !== null && baseline.grams > 0 ? Math.round(10_000 * avoidedGrams / baseline.grams) / 100 : null
  return {
    energyKwh: kwh(ledger.energyKwh),
    gpuEnergyKwh: kwh(ledger.gpuEnergyKwh),
    hostEnergyKwh: kwh(ledger.hostEnergyKwh),
    energyMethod: ledger.energyMethod,
    runMinutes: Math.round(ledger.runMs / 600) / 100,
    attempts: ledger.attempts.map(attempt),
    expected: figure(ledger.expected),
    baseline: { ...figure(baseline), pool: baseline.pool, zone: baseline.zone, start: iso(baseline.start), end: iso(baseline.end), rule: baseline.rule, energyKwh: kwh(baseline.energyKwh) },
    actual: { ...figure(actual), pool: actual.pool, zone: actual.zone, start: iso(actual.start), end: iso(actual.end) },
    avoidedGrams: gramsOrNull(avoidedGrams),
    avoidedPercent: percent,
    avoidedNote: ledger.avoidedNote,
    marketBased: ledger.marketBased === null ? null : { ...ledger.marketBased, grams: grams(ledger.marketBased.grams), gPerKwh: grams(ledger.marketBased.gPerKwh) },
    sci: { ...ledger.sci, grams: grams(ledger.sci.grams) },
    provisional: ledger.provisional,
    verified: ledger.verified,
    embodiedGrams: gramsOrNull(ledger.embodiedGrams),
    computedAt: iso(ledger.computedAt),
    ...(ledger.restated === undefined ? {} : { restated: { at: iso(ledger.restated.at), reason: ledger.restated.reason } })
  }
}

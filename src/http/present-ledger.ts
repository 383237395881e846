import { Type } from 'typebox'
import type { JobLedger, LedgerFigure as Figure } from '../core/types.js'
import { grams, iso, kwh } from './present.js'
const gramsOrNull = (g: number | null): number | null => g === null ? null : grams(g)

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const Signal = Type.Union([Type.Literal('average'), Type.Literal('marginal')], { description: 'never compared or summed across' })

const Figure = {
  grams: Type.Number({ description: 'grams CO2e' }),
  signal: Signal,
  source: Type.String({ description: 'actual:<source>, forecast:<source> or fallback:<source>, joined with " + " when actuals do not cover the interval yet' }),
  method: Type.Union([Type.Literal('expected'), Type.Literal('measured'), Type.Literal('estimated')], { description: 'expected: at plan time; measured or estimated: the energy the figure rests on' }),
  provisional: Type.Boolean({ description: 'true while actual intensity does not yet cover the interval; the rest is priced on the stored forecast' })
}

/** A job's carbon ledger as the API shows it (the job detail route embeds it). */
export const Ledger = Type.Object({
  energyKwh: Type.Number({ description: 'energy of the run at the wall, kWh' }),
  energyMethod: Type.Union([Type.Literal('measured'), Type.Literal('estimated')], { description: 'measured by the executor, or the pool power model over the actual run time' }),
  runMinutes: Type.Number({ description: 'how long the run ran' }),
  expected: Type.Object(Figure, { description: 'the plan\'s expected figure, on the forecast, as stored at planning' }),
  baseline: Type.Object({ ...Figure, pool: Type.String(), zone: Type.String(), start: Type.String({ format: 'date-time' }) }, {
    description: 'the run\'s energy profile started at the baseline start on the baseline pool, on actual intensity'
  }),
  actual: Type.Object({ ...Figure, pool: Type.String(), zone: Type.String(), start: Type.String({ format: 'date-time' }), end: Type.String({ format: 'date-time' }) }, {
    description: 'the run\'s energy spread at constant power over the run, on actual intensity'
  }),
  avoidedGrams: Nullable(Type.Number({ description: 'baseline − actual, grams CO2e' })),
  avoidedPercent: Nullable(Type.Number({ description: '100 × avoided / baseline' })),
  avoidedNote: Nullable(Type.String({ description: 'why avoidedGrams is null: baseline and actual rest on different signals' })),
  provisional: Type.Boolean({ description: 'true while any figure is' }),
  embodiedGrams: Nullable(Type.Number({ description: 'embodied carbon of the GPU-hours, grams CO2e; never added to the operational figures; null when the pool sets no figure' })),
  computedAt: Type.String({ format: 'date-time' })
})

function figure (f: Figure) {
  return { grams: grams(f.grams), signal: f.signal, source: f.source, method: f.method, provisional: f.provisional }
}

/** A ledger with instants as RFC 3339 UTC strings and figures rounded (see `grams`). */
export function presentLedger (ledger: JobLedger) {
  const { avoidedGrams, baseline, actual } = ledger
  const percent = avoidedGrams !== null && baseline.grams > 0 ? Math.round(10_000 * avoidedGrams / baseline.grams) / 100 : null
  return {
    energyKwh: kwh(ledger.energyKwh),
    energyMethod: ledger.energyMethod,
    runMinutes: Math.round(ledger.runMs / 600) / 100,
    expected: figure(ledger.expected),
    baseline: { ...figure(baseline), pool: baseline.pool, zone: baseline.zone, start: iso(baseline.start) },
    actual: { ...figure(actual), pool: actual.pool, zone: actual.zone, start: iso(actual.start), end: iso(actual.end) },
    avoidedGrams: gramsOrNull(avoidedGrams),
    avoidedPercent: percent,
    avoidedNote: ledger.avoidedNote,
    provisional: ledger.provisional,
    embodiedGrams: gramsOrNull(ledger.embodiedGrams),
    computedAt: iso(ledger.computedAt)
  }
}

import { labelsOf } from './ledger-price.js'
import type { JobLedger, LedgerFigure as Figure } from './types.js'

/** A ledger as stored by an earlier release, completed with what it implies. */
export function upgrade (l: JobLedger): JobLedger {
  if (Array.isArray(l.attempts)) return l
  const old = l as Partial<JobLedger> & Pick<JobLedger, 'energyKwh' | 'runMs' | 'actual'> & { baseline: Partial<JobLedger['baseline']> & { start: number, grams: number, signal: JobLedger['baseline']['signal'], source: string } }
  const labels = labelsOf(old.actual)
  const method = old.energyMethod === 'measured' ? 'measured' : 'estimated'
  return {
    ...l,
    gpuEnergyKwh: old.energyKwh,
    hostEnergyKwh: 0,
    attempts: [{
      attempt: 1, pool: old.actual.pool, zone: old.actual.zone, outcome: 'succeeded', start: old.actual.start, end: old.actual.end,
      energyKwh: old.energyKwh, gpuEnergyKwh: old.energyKwh, hostEnergyKwh: 0, energyMethod: method, grams: old.actual.grams,
      marketGrams: labels.signal === 'average' ? old.actual.grams : null, ...labels, source: old.actual.source, provisional: old.actual.provisional
    }],
    expected: { ...labelsOf(old.expected ?? old.actual), ...(old.expected as Figure) },
    baseline: { ...labelsOf(old.baseline), ...old.baseline, end: old.baseline.end ?? old.baseline.start + old.runMs, rule: old.baseline.rule ?? 'config-order', energyKwh: old.baseline.energyKwh ?? old.energyKwh },
    actual: { ...labels, ...old.actual },
    marketBased: labels.signal === 'average' ? { grams: old.actual.grams, gPerKwh: old.energyKwh > 0 ? old.actual.grams / old.energyKwh : 0, instrument: null, basis: 'location' } : null,
    sci: { grams: old.actual.grams + (old.embodiedGrams ?? 0), unit: 'job', units: 1 },
    // A ledger settled past retention by this release keeps its `verified: false`.
    verified: old.verified ?? old.provisional !== true
  }
}

import type { Static } from 'typebox'
import type { Report } from './report-schemas.js'

type ReportBody = Static<typeof Report>
type Row = ReportBody['rows'][number]
type Idle = NonNullable<ReportBody['idle']>[number]
type Value = string | number | null

/**
 * The columns, in order: the ones a sustainability team files first, then the counts that tell
 * how complete the figures are. Grams are of the row's gas; energy at the facility boundary.
 */
const HEADER = [
  'period_start', 'period_end', 'group', 'signal', 'factor_type', 'gas', 'energy_kwh', 'gpu_energy_kwh', 'host_energy_kwh',
  'location_g', 'market_g', 'baseline_g', 'avoided_g', 'embodied_g', 'jobs', 'provisional_jobs', 'sources',
  'expected_g', 'expected_jobs', 'avoided_jobs', 'measured_jobs', 'estimated_jobs'
]

/**
 * One RFC 4180 field: quoted when it holds a comma, quote or line break. Text that a spreadsheet
 * would run as a formula (= + - @ tab CR first) gets a leading apostrophe: label values are the
 * tenants' own text. Numbers are written as they are, negative avoided grams included.
 */
function field (value: Value): string {
  if (value === null) return ''
  if (typeof value === 'number') return String(value)
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** The non-time group values joined with "/"; a job without a label shows an empty value. */
const groupText = (group: Row['group']): string => Object.values(group).map(v => v ?? '').join('/')

function rowFields (r: Row): Value[] {
  return [
    r.periodStart, r.periodEnd, groupText(r.group), r.signal, r.factorType, r.gas, r.energyKwh, r.gpuEnergyKwh, r.hostEnergyKwh,
    r.actualGrams, r.marketGrams, r.baselineGrams, r.avoidedGrams, r.embodiedGrams, r.jobs, r.provisionalJobs, r.sources.join('; '),
    r.expectedGrams, r.expectedJobs, r.avoidedJobs, r.measuredJobs, r.estimatedJobs
  ]
}

/** An idle row: group `idle:<pool>`, all of its energy on the GPUs, no jobs; a provisional one says so in its sources. */
function idleFields (r: Idle): Value[] {
  return [
    r.periodStart, r.periodEnd, `idle:${r.pool}`, r.signal, r.factorType, r.gas, r.energyKwh, r.energyKwh, 0,
    r.grams, null, null, null, null, 0, 0, `${r.source ?? 'no actual intensity'}${r.provisional ? ' (provisional: actuals do not cover the period)' : ''}`,
    null, 0, 0, 0, 0
  ]
}

/** The report as CSV: a header row, one line per row then per idle row, CRLF line ends. */
export function reportCsv (report: ReportBody): string {
  const lines = [HEADER, ...report.rows.map(rowFields), ...(report.idle ?? []).map(idleFields)]
  return lines.map(values => values.map(field).join(',')).join('\r\n') + '\r\n'
}

import type { ReportBody } from './api-types.js'
import { gasName, kgOrDash, kwhText, table } from './format.js'
import { utc } from './time.js'

type Sums = ReportBody['totals'][number]

/** A period as its grouping shows it: a month `2026-11`, else its first day (a week's Monday). */
function periodLabel (start: string | null, groupBy: string): string {
  if (start === null) return ''
  return groupBy.split(',').includes('month') ? start.slice(0, 7) : start.slice(0, 10)
}

/** The figure columns of a row or a total. */
function figures (s: Sums): string[] {
  const share = s.avoidedGrams !== null && s.baselineGrams !== null && s.baselineGrams > 0 ? ` (${Math.round(100 * s.avoidedGrams / s.baselineGrams)} %)` : ''
  const avoided = `${kgOrDash(s.avoidedGrams)}${share}`
  return [`${s.signal} ${gasName(s.gas)}`, kwhText(s.energyKwh), kgOrDash(s.actualGrams), kgOrDash(s.baselineGrams), avoided, String(s.jobs)]
}

/** The report as a table: one line per row, then one total per signal and gas, then what is not final. */
export function reportText (r: ReportBody): string {
  const keys = [...new Set(r.rows.flatMap(row => Object.keys(row.group)))]
  const timed = r.rows.some(row => row.periodStart !== null)
  const head = [...(timed ? ['PERIOD'] : []), ...keys.map(k => k.toUpperCase()), 'FIGURES', 'ENERGY', 'ACTUAL', 'BASELINE', 'AVOIDED', 'JOBS']
  // The totals' label fills the period and group columns: `total` in the first, the rest blank.
  const width = (timed ? 1 : 0) + keys.length
  const lead = Array.from({ length: width }, (_, i) => i === 0 ? 'total' : '')
  const rows = r.rows.map(row => [
    ...(timed ? [periodLabel(row.periodStart, r.groupBy)] : []),
    ...keys.map(k => row.group[k] ?? '(none)'),
    ...figures(row)
  ])
  const totals = r.totals.map(t => [...lead, ...figures(t)])
  const notes = [
    ...(r.provisionalJobs > 0 ? [`${r.provisionalJobs} job${r.provisionalJobs === 1 ? '' : 's'} still provisional (partly on forecasts)`] : []),
    ...(r.jobsWithoutLedger > 0 ? [`${r.jobsWithoutLedger} job${r.jobsWithoutLedger === 1 ? '' : 's'} ran but ha${r.jobsWithoutLedger === 1 ? 's' : 've'} no ledger yet: not counted`] : [])
  ]
  const title = `emissions ${utc(r.from)} → ${utc(r.to)}, by ${r.groupBy}; actual is location-based, avoided = baseline − actual\n`
  if (r.rows.length === 0) return `${title}no jobs ran in this span\n`
  return title + table([head, ...rows, ...totals]) + notes.map(n => `${n}\n`).join('')
}

// Emissions: baseline, actual and avoided CO2e per day (last 30 days) and per month (last 12),
// one chart pair per signal (average, marginal) and factor basis: grams on different bases are
// never added up. GET /v1/reports/emissions?groupBy=day and ?groupBy=month.
import { api } from './api.js'
import { barChart } from './bars.js'
import { basis, h, mass, table } from './dom.js'
import type { Report, ReportRow } from './types.js'

const DAY_MS = 86_400_000

const keyOf = (r: ReportRow) => `${r.signal}|${r.gas}|${r.factorType}`

/** The largest unit in which the biggest figure is at least 1: a day's few grams are not "0.00 kg". */
function unitFor (rows: ReportRow[]): { name: string, grams: number } {
  const most = Math.max(0, ...rows.flatMap(r => [r.actualGrams, r.baselineGrams ?? 0, Math.abs(r.avoidedGrams ?? 0)]))
  return most >= 1e6 ? { name: 't', grams: 1e6 } : most >= 1e3 ? { name: 'kg', grams: 1e3 } : { name: 'g', grams: 1 }
}

/** Every period of the range, as the report's periodStart, so a quiet day is a gap, not a missing column. */
function periodStarts (from: Date, to: Date, step: 'day' | 'month'): string[] {
  const out: string[] = []
  for (let t = from; t < to; t = step === 'day' ? new Date(t.getTime() + DAY_MS) : new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1))) out.push(t.toISOString())
  return out
}

function section (title: string, rows: ReportRow[], periods: string[], label: (periodStart: string) => string, width: number): HTMLElement {
  const at = (p: string) => rows.find(r => r.periodStart !== null && Date.parse(r.periodStart) === Date.parse(p))
  const unit = unitFor(rows)
  const gas = rows[0]?.gas === 'co2' ? 'CO2' : 'CO2e'
  const scaled = (g: number | null | undefined) => g === null || g === undefined ? null : g / unit.grams
  return h('div', { class: 'report-chart' }, h('h3', {}, title),
    barChart(periods.map(label), [
      { name: 'baseline', cls: 'baseline', values: periods.map(p => scaled(at(p)?.baselineGrams)) },
      { name: 'actual', cls: 'actual', values: periods.map(p => scaled(at(p)?.actualGrams)) },
      { name: 'avoided', cls: 'avoided', values: periods.map(p => scaled(at(p)?.avoidedGrams)) }
    ], `${unit.name} ${gas}`, width))
}

export async function emissionsView (main: HTMLElement): Promise<void> {
  const now = new Date()
  const months = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1))
  const days = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - 29 * DAY_MS)
  const [daily, monthly] = await Promise.all([
    api<Report>(`/v1/reports/emissions?groupBy=day&from=${days.toISOString()}`),
    api<Report>(`/v1/reports/emissions?groupBy=month&from=${months.toISOString()}`)
  ])
  const width = Math.max(480, main.clientWidth - 8)
  const bases = [...new Set([...daily.rows, ...monthly.rows, ...monthly.totals].map(keyOf))]
  const legend = h('p', { class: 'hint' }, h('span', { class: 'key baseline' }, 'baseline'), ' had each job started at once on its baseline pool; ',
    h('span', { class: 'key actual' }, 'actual'), ' what it emitted (location-based); ', h('span', { class: 'key avoided' }, 'avoided'), ' the difference. Days and months in UTC.')
  const blocks = bases.map(key => {
    const pick = (rows: ReportRow[]) => rows.filter(r => keyOf(r) === key)
    const total = pick(monthly.totals)[0]
    const first = total ?? pick(daily.rows)[0]!
    return h('section', { class: 'card report', 'data-signal': first.signal },
      h('h2', {}, `${basis(first)}`, h('span', { class: 'tag' }, first.gas === 'co2' ? 'CO2' : 'CO2e')),
      total === undefined
        ? null
        : table(['last 12 months', 'baseline', 'actual', 'avoided', 'jobs'], [['total', mass(total.baselineGrams, total.gas), mass(total.actualGrams, total.gas), mass(total.avoidedGrams, total.gas), total.jobs]]),
      section('per day', pick(daily.rows), periodStarts(days, now, 'day'), p => p.slice(5, 10), width),
      section('per month', pick(monthly.rows), periodStarts(months, now, 'month'), p => p.slice(0, 7), width))
  })
  main.replaceChildren(h('h1', {}, 'Emissions'), legend,
    ...(blocks.length > 0 ? blocks : [h('p', { class: 'empty' }, `No job has a ledger between ${monthly.from.slice(0, 10)} and now yet: figures appear here once jobs have run.`)]),
    h('p', { class: 'hint' }, monthly.jobsWithoutLedger > 0 ? `Not counted: ${monthly.jobsWithoutLedger} ${monthly.jobsWithoutLedger === 1 ? 'job' : 'jobs'} without a ledger yet (running, or waiting for its energy).` : ''))
}

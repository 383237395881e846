// Emissions: baseline, actual and avoided CO2e per day (last 30 days) and per month (last 12),
// one chart pair per signal (average, marginal) and factor basis: grams on different bases are
// never added up. GET /v1/reports/emissions?groupBy=day and ?groupBy=month.
import { api } from './api.js'
import { barChart } from './bars.js'
import { basis, h, mass, table } from './dom.js'
import type { Report, ReportRow } from './types.js'

const DAY_MS = 86_400_000

const keyOf = (r: ReportRow) => `${r.signal}|${r.gas}|${r.factorType}`
const kg = (g: number | null) => g === null ? null : g / 1000

function section (title: string, rows: ReportRow[], label: (periodStart: string) => string, width: number): HTMLElement {
  const periods = [...new Set(rows.map(r => r.periodStart ?? ''))].sort()
  const at = (p: string) => rows.find(r => r.periodStart === p)
  const gas = rows[0]?.gas === 'co2' ? 'CO2' : 'CO2e'
  return h('div', { class: 'report-chart' }, h('h3', {}, title),
    barChart(periods.map(label), [
      { name: 'baseline', cls: 'baseline', values: periods.map(p => kg(at(p)?.baselineGrams ?? null)) },
      { name: 'actual', cls: 'actual', values: periods.map(p => kg(at(p)?.actualGrams ?? null)) },
      { name: 'avoided', cls: 'avoided', values: periods.map(p => kg(at(p)?.avoidedGrams ?? null)) }
    ], `kg ${gas}`, width))
}

export async function emissionsView (main: HTMLElement): Promise<void> {
  const now = new Date()
  const months = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1)).toISOString()
  const days = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - 29 * DAY_MS).toISOString()
  const [daily, monthly] = await Promise.all([
    api<Report>(`/v1/reports/emissions?groupBy=day&from=${days}`),
    api<Report>(`/v1/reports/emissions?groupBy=month&from=${months}`)
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
      section('per day', pick(daily.rows), p => p.slice(5, 10), width),
      section('per month', pick(monthly.rows), p => p.slice(0, 7), width))
  })
  main.replaceChildren(h('h1', {}, 'Emissions'), legend,
    ...(blocks.length > 0 ? blocks : [h('p', { class: 'empty' }, `No job has a ledger between ${monthly.from.slice(0, 10)} and now yet: figures appear here once jobs have run.`)]),
    h('p', { class: 'hint' }, monthly.jobsWithoutLedger > 0 ? `${monthly.jobsWithoutLedger} jobs ran without a ledger yet (not counted).` : ''))
}

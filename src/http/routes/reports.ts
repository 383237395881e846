import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { HOUR_MS, type Instant } from '../../core/types.js'
import { ApiError, invalidField } from '../../errors.js'
import { emissionsReport, type ReportGroup, type ReportRow } from '../../store/ledger.js'
import type { AppDeps } from '../app.js'
import { hasScope, requireScope } from '../auth.js'
import { grams, iso, kwh } from '../present.js'
import { Signal } from '../present-ledger.js'
import { errorResponses } from '../schemas.js'

const DAY_MS = 24 * HOUR_MS
/** Without `from`, the report covers the 30 days before `to`. */
const DEFAULT_SPAN_MS = 30 * DAY_MS
/** At most about five years in one report: a reporting period, not the whole history at once. */
const MAX_SPAN_MS = 5 * 366 * DAY_MS

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

const Query = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'runs that finished at or after this instant; default: 30 days before `to`' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'runs that finished before this instant; default: now' })),
  groupBy: Type.String({
    pattern: '^(day|pool|zone|tenant|label:[A-Za-z0-9_.:/-]{1,63})$',
    default: 'day',
    description: 'day (UTC date of the run\'s finish), pool, zone, tenant (operator scope: every tenant), or label:<key> (jobs without the label under null)'
  }),
  format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })
}, { additionalProperties: false })

const Sums = {
  signal: Signal,
  jobs: Type.Integer(),
  energyKwh: Type.Number(),
  expectedGrams: Nullable(Type.Number({ description: 'expected at planning, over the expectedJobs planned on this signal' })),
  expectedJobs: Type.Integer(),
  baselineGrams: Nullable(Type.Number({ description: 'over the avoidedJobs whose baseline is on this signal' })),
  actualGrams: Type.Number(),
  avoidedGrams: Nullable(Type.Number({ description: 'baseline − actual over the avoidedJobs' })),
  avoidedJobs: Type.Integer(),
  embodiedGrams: Nullable(Type.Number({ description: 'embodied carbon, apart from the operational figures; null when no job\'s pool sets it' })),
  provisionalJobs: Type.Integer({ description: 'jobs whose figures still rest partly on the forecast' }),
  measuredJobs: Type.Integer(),
  estimatedJobs: Type.Integer(),
  sources: Type.Array(Type.String())
}

const Report = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  groupBy: Type.String(),
  units: Type.Object({ emissions: Type.Literal('gCO2e'), energy: Type.Literal('kWh') }),
  rows: Type.Array(Type.Object({ key: Nullable(Type.String()), ...Sums }), { description: 'one per group and signal; figures of two signals are never summed' }),
  totals: Type.Array(Type.Object(Sums), { description: 'one per signal' })
})

type Sum = Omit<ReportRow, 'key'>

const add = (a: number | null, b: number | null): number | null => a === null ? b : b === null ? a : a + b

const zero = (signal: Sum['signal']): Sum => ({
  signal, jobs: 0, energyKwh: 0, expectedGrams: null, expectedJobs: 0, baselineGrams: null, actualGrams: 0, avoidedGrams: null,
  avoidedJobs: 0, embodiedGrams: null, provisionalJobs: 0, measuredJobs: 0, estimatedJobs: 0, sources: []
})

/** The rows summed per signal. */
function totals (rows: readonly ReportRow[]): Sum[] {
  const bySignal = new Map<string, Sum>()
  for (const r of rows) {
    const t = bySignal.get(r.signal) ?? zero(r.signal)
    bySignal.set(r.signal, {
      signal: r.signal,
      jobs: t.jobs + r.jobs,
      energyKwh: t.energyKwh + r.energyKwh,
      expectedGrams: add(t.expectedGrams, r.expectedGrams),
      expectedJobs: t.expectedJobs + r.expectedJobs,
      baselineGrams: add(t.baselineGrams, r.baselineGrams),
      actualGrams: t.actualGrams + r.actualGrams,
      avoidedGrams: add(t.avoidedGrams, r.avoidedGrams),
      avoidedJobs: t.avoidedJobs + r.avoidedJobs,
      embodiedGrams: add(t.embodiedGrams, r.embodiedGrams),
      provisionalJobs: t.provisionalJobs + r.provisionalJobs,
      measuredJobs: t.measuredJobs + r.measuredJobs,
      estimatedJobs: t.estimatedJobs + r.estimatedJobs,
      sources: [...new Set([...t.sources, ...r.sources])].sort()
    })
  }
  return [...bySignal.values()].sort((a, b) => a.signal.localeCompare(b.signal))
}

function rounded<T extends Sum> (s: T): T {
  const g = (x: number | null) => x === null ? null : grams(x)
  return {
    ...s,
    energyKwh: kwh(s.energyKwh),
    expectedGrams: g(s.expectedGrams),
    baselineGrams: g(s.baselineGrams),
    actualGrams: grams(s.actualGrams),
    avoidedGrams: g(s.avoidedGrams),
    embodiedGrams: g(s.embodiedGrams)
  }
}

const COLUMNS = [
  ['signal', 'signal'], ['jobs', 'jobs'], ['energy_kwh', 'energyKwh'], ['expected_gco2e', 'expectedGrams'], ['expected_jobs', 'expectedJobs'],
  ['baseline_gco2e', 'baselineGrams'], ['actual_gco2e', 'actualGrams'], ['avoided_gco2e', 'avoidedGrams'], ['avoided_jobs', 'avoidedJobs'],
  ['embodied_gco2e', 'embodiedGrams'], ['provisional_jobs', 'provisionalJobs'], ['measured_jobs', 'measuredJobs'],
  ['estimated_jobs', 'estimatedJobs'], ['sources', 'sources']
] as const

/**
 * One RFC 4180 field: quoted when it holds a comma, quote or line break. Text that a spreadsheet
 * would run as a formula (= + - @ tab CR first) gets a leading apostrophe: label values are the
 * tenants' own text. Numbers are written as they are, negative avoided grams included.
 */
function field (value: string | number | null): string {
  if (value === null) return ''
  if (typeof value === 'number') return String(value)
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** The rows as CSV with a header row, CRLF line ends; the first column is named after `groupBy`. */
function toCsv (groupBy: string, rows: readonly ReportRow[]): string {
  const header = [groupBy, ...COLUMNS.map(([name]) => name)].map(field).join(',')
  const lines = rows.map(rounded).map(r => [field(r.key), ...COLUMNS.map(([, k]) => {
    const v = r[k]
    return field(Array.isArray(v) ? v.join('; ') : v)
  })].join(','))
  return [header, ...lines].join('\r\n') + '\r\n'
}

function instant (field: string, value: string | undefined): Instant | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  if (!Number.isFinite(t)) throw invalidField(field, `"${value}" is not an RFC 3339 date-time`, 400)
  return t
}

/** [from, to) from the query: defaults, to after from, at most five years. */
function range (query: { from?: string | undefined, to?: string | undefined }, now: Instant): { from: Instant, to: Instant } {
  const givenTo = instant('to', query.to)
  const givenFrom = instant('from', query.from)
  const to = givenTo ?? now
  const from = givenFrom ?? to - DEFAULT_SPAN_MS
  const blame = givenTo === undefined ? 'from' : 'to'
  if (!(to > from)) throw invalidField(blame, blame === 'to' ? 'must be after from' : 'must be before to (default: now)', 400)
  if (to - from > MAX_SPAN_MS) throw invalidField(blame, 'the range may span at most 5 years (1,830 days)', 400)
  return { from, to }
}

export function reportRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.get('/reports/emissions', {
      schema: {
        operationId: 'emissionsReport',
        tags: ['reports'],
        summary: 'Expected, baseline, actual and avoided emissions of jobs whose run finished in [from, to), grouped, per signal',
        querystring: Query,
        response: {
          200: {
            description: 'the report; as text/csv with format=csv (one line per row, header first)',
            content: { 'application/json': { schema: Report }, 'text/csv': { schema: Type.String() } }
          },
          ...errorResponses
        }
      }
    }, async (request, reply) => {
      const groupBy = request.query.groupBy as ReportGroup
      // Grouping by tenant reads every tenant: the deployment's operator's, never a tenant admin's.
      if (groupBy === 'tenant' && request.principal !== undefined && !hasScope(request.principal, 'operator')) {
        throw new ApiError(403, 'forbidden', 'groupBy=tenant covers every tenant and needs the "operator" scope', [{ field: 'groupBy', message: 'needs the operator scope' }])
      }
      const principal = requireScope(request, groupBy === 'tenant' ? 'operator' : 'read')
      const { from, to } = range(request.query, deps.now())
      const tenantId = groupBy === 'tenant' ? null : principal.tenantId
      const rows = await emissionsReport(deps.store.db, { tenantId, from, to, groupBy })
      if (request.query.format === 'csv') {
        const name = `emissions-by-${groupBy.replace(/[^A-Za-z0-9_.-]+/g, '_')}-${iso(from).slice(0, 10)}-${iso(to).slice(0, 10)}.csv`
        return await reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(toCsv(groupBy, rows))
      }
      const report: Static<typeof Report> = {
        from: iso(from),
        to: iso(to),
        groupBy,
        units: { emissions: 'gCO2e', energy: 'kWh' },
        rows: rows.map(rounded),
        totals: totals(rows).map(rounded)
      }
      return await reply.type('application/json; charset=utf-8').send(report)
    })
  }
}

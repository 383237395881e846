import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { parseGrouping } from '../../core/report-periods.js'
import type { ReportRow } from '../../core/report.js'
import { HOUR_MS, type Instant, type Interval } from '../../core/types.js'
import { ApiError, invalidField } from '../../errors.js'
import type { AppDeps } from '../app.js'
import { hasScope, requireScope } from '../auth.js'
import { iso, kwh } from '../present.js'
import { buildReport, type IdleLine } from '../report-build.js'
import { reportCsv } from '../report-csv.js'
import { Report, ReportQuery } from '../report-schemas.js'
import { errorResponses } from '../schemas.js'

const DAY_MS = 24 * HOUR_MS
/** Without `from`, the report covers the 30 days before `to`. */
const DEFAULT_SPAN_MS = 30 * DAY_MS
/** At most about five years in one report: a reporting period, not the whole history at once. */
const MAX_SPAN_MS = 5 * 366 * DAY_MS

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/

/** A date (UTC midnight) or an RFC 3339 date-time with an offset, as epoch ms. */
function instant (field: string, value: string | undefined): Instant | undefined {
  if (value === undefined) return undefined
  const date = DATE.exec(value)
  if (date !== null) {
    const t = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]))
    // Date.UTC rolls 2026-02-30 over to March: a date that does not exist is refused, not moved.
    if (new Date(t).toISOString().slice(0, 10) === value) return t
  } else if (DATE_TIME.test(value)) {
    const t = Date.parse(value)
    if (Number.isFinite(t)) return t
  }
  throw invalidField(field, `"${value.slice(0, 64)}" is neither a date (2026-11-01) nor an RFC 3339 date-time with an offset (2026-11-01T00:00:00Z)`, 400)
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

type Body = Static<typeof Report>
const period = (p: Interval | null) => ({ periodStart: p === null ? null : iso(p.start), periodEnd: p === null ? null : iso(p.end) })

function presentRow (r: ReportRow, keys: readonly string[]): Body['rows'][number] {
  const { period: p, group, ...sums } = r
  return { ...period(p), group: Object.fromEntries(keys.map((k, i) => [k, group[i] ?? null])), ...sums }
}

function presentIdle (r: IdleLine): NonNullable<Body['idle']>[number] {
  const g = (x: number | null) => x === null ? null : Math.round(x * 10) / 10
  return {
    ...period(r.period),
    pool: r.pool,
    zone: r.zone,
    measuredFrom: iso(r.span.start),
    measuredTo: iso(r.span.end),
    signal: r.signal,
    gas: r.gas,
    factorType: r.factorType,
    unallocatedGpuHours: Math.round(r.unallocatedGpuHours * 1000) / 1000,
    energyKwh: kwh(r.energyKwh),
    gPerKwh: g(r.gPerKwh),
    grams: g(r.grams),
    source: r.source,
    provisional: r.provisional
  }
}

export function reportRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.get('/reports/emissions', {
      schema: {
        operationId: 'emissionsReport',
        tags: ['reports'],
        summary: 'Energy, location- and market-based, expected, baseline, avoided and embodied emissions of jobs over [from, to), pro-rated by time, grouped, per signal, gas and factor type',
        querystring: ReportQuery,
        response: {
          200: {
            description: 'the report; as text/csv with format=csv (header first, one line per row, then the idle rows as group idle:<pool>)',
            content: { 'application/json': { schema: Report }, 'text/csv': { schema: Type.String() } }
          },
          ...errorResponses
        }
      }
    }, async (request, reply) => {
      const { groupBy } = request.query
      const parsed = parseGrouping(groupBy)
      if (!parsed.ok) throw invalidField('groupBy', parsed.problem, 400)
      const byTenant = parsed.grouping.keys.includes('tenant')
      // Grouping by tenant reads every tenant: the deployment's operator's, never a tenant admin's.
      if (byTenant && request.principal !== undefined && !hasScope(request.principal, 'operator')) {
        throw new ApiError(403, 'forbidden', 'groupBy=tenant covers every tenant and needs the "operator" scope', [{ field: 'groupBy', message: 'needs the operator scope' }])
      }
      const principal = requireScope(request, 'read', 'operator')
      // The operator answers for the whole deployment: every tenant's jobs, and the idle GPUs no tenant is charged for.
      const operator = hasScope(principal, 'operator')
      const now = deps.now()
      const { from, to } = range(request.query, now)
      const figures = await buildReport(deps, { grouping: parsed.grouping, from, to, tenantId: operator ? null : principal.tenantId, idle: operator, now })
      const report: Body = {
        from: iso(from),
        to: iso(to),
        groupBy,
        units: { emissions: 'g', energy: 'kWh' },
        jobsWithoutLedger: figures.jobsWithoutLedger,
        provisionalJobs: figures.provisionalJobs,
        rows: figures.rows.map(r => presentRow(r, parsed.grouping.keys)),
        totals: figures.totals,
        ...(figures.idle === null ? {} : { idle: figures.idle.map(presentIdle) })
      }
      if (request.query.format === 'csv') {
        const name = `emissions-by-${groupBy.replace(/[^A-Za-z0-9_.-]+/g, '_')}-${iso(from).slice(0, 10)}-${iso(to).slice(0, 10)}.csv`
        return await reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(reportCsv(report))
      }
      return await reply.type('application/json; charset=utf-8').send(report)
    })
  }
}

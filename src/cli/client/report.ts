import { parseArgs } from 'node:util'
import { COMMON, endpointOf, parsed, UsageError, type ClientIo } from './args.js'
import type { ReportBody } from './api-types.js'
import { jsonText } from './format.js'
import { reportText } from './format-report.js'
import { call, callJson } from './http.js'

export const REPORT_USAGE = `usage: greenshift report (--month YYYY-MM | --from WHEN --to WHEN) [--by GROUPING] [--csv | --json]

Emissions of this tenant's jobs (GET /v1/reports/emissions): energy, actual (location-based),
baseline and avoided emissions per group, never summed across signals or gases.
  --month 2026-11       that UTC calendar month; grouped by month unless --by says otherwise
  --from, --to          another span: a date (2026-11-01, UTC midnight) or RFC 3339 with an offset;
                        default: the 30 days up to now, by day
  --by GROUPING         month, week, day, pool, zone, tenant or label:<key>, joined with commas,
                        e.g. --by pool or --by month,label:team
  --csv                 the server's CSV (header, one line per row)
`

/** [from, to) of a UTC calendar month `YYYY-MM`, as the dates the API takes. */
export function monthSpan (text: string): { from: string, to: string } {
  const m = /^(\d{4})-(\d{2})$/.exec(text.trim())
  const month = Number(m?.[2])
  if (m === null || month < 1 || month > 12) throw new UsageError(`--month must be a month as YYYY-MM, e.g. 2026-11 (got "${text}")`)
  const next = new Date(Date.UTC(Number(m[1]), month, 1)).toISOString().slice(0, 10)
  return { from: `${m[1]}-${m[2]}-01`, to: next }
}

/** `greenshift report`: the emissions report for a month or a span, as a table, CSV or JSON. */
export async function reportCommand (args: string[], env: NodeJS.ProcessEnv, io: ClientIo): Promise<number> {
  const { values } = parsed('report', () => parseArgs({
    args,
    options: { ...COMMON, month: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, by: { type: 'string' }, csv: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false
  }))
  if (values.help) {
    io.out(REPORT_USAGE)
    return 0
  }
  if (values.csv && values.json) throw new UsageError('report: --csv and --json each choose the output; give one')
  if (values.month !== undefined && (values.from !== undefined || values.to !== undefined)) throw new UsageError('report: --month or --from/--to, not both')
  if (values.by?.trim() === '') throw new UsageError('--by needs a grouping, e.g. --by pool')
  const span = values.month === undefined ? { from: values.from, to: values.to } : monthSpan(values.month)
  const groupBy = values.by ?? (values.month === undefined ? undefined : 'month')
  const query = { ...span, groupBy, format: values.csv ? 'csv' : undefined }
  const flags = { from: values.month === undefined ? '--from' : '--month', to: values.month === undefined ? '--to' : '--month', groupBy: '--by' }
  const endpoint = endpointOf(values, env)
  if (values.csv) {
    io.out((await call(endpoint, 'GET', '/v1/reports/emissions', { query, flags, headers: { accept: 'text/csv' } })).text)
    return 0
  }
  const { json } = await callJson<ReportBody>(endpoint, 'GET', '/v1/reports/emissions', { query, flags })
  io.out(values.json ? jsonText(json) : reportText(json))
  return 0
}

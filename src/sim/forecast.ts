import { upperBound } from '../core/intervals.js'
import type { Instant, IntensityPoint } from '../core/types.js'
import { medianStep, parseDecimal, parseTimestamp, readTable, requireColumn } from './csv-table.js'
import { SimInputError } from './input-error.js'

/** One forecast as issued at `issuedAt`: piecewise-constant points over its horizon. */
export interface ForecastIssue {
  issuedAt: Instant
  points: IntensityPoint[]
}

/**
 * Forecasts as they were issued over time, so a simulation can ask what was known at a decision
 * time: `knownAt(t)` is the newest issue with issuedAt ≤ t (undefined before the first).
 */
export class ForecastArchive {
  private readonly times: Float64Array

  /** `issues` sorted by `issuedAt`, strictly increasing. */
  constructor (readonly issues: readonly ForecastIssue[]) {
    this.times = Float64Array.from(issues, i => i.issuedAt)
  }

  /** The newest issue at or before `t`. O(log n). */
  knownAt (t: Instant): ForecastIssue | undefined {
    return this.issues[upperBound(this.times, t) - 1]
  }
}

const REQUEST = 'request_time'
const TARGET = 'forecast_time'

/**
 * Parses a WattTime-style forecast history `request_time,forecast_time,<value>` (vessim's
 * watttime2023_caiso-north_forecast.csv; naive timestamps read as UTC). Rows are grouped by
 * request_time, which must not decrease; inside an issue forecast_time must increase. Each value
 * holds until the issue's next forecast_time, its last for the file's median step (5 min in the
 * vessim file). The value column is the first column that is neither time column.
 */
export function parseForecastCsv (text: string, options: { name: string }): ForecastArchive {
  const table = readTable(text, options.name)
  const expected = `${REQUEST},${TARGET},<value>`
  const ri = requireColumn(table, REQUEST, expected)
  const fi = requireColumn(table, TARGET, expected)
  const vi = table.header.findIndex(h => h !== REQUEST && h !== TARGET)
  if (vi < 0) throw new SimInputError(options.name, 1, undefined, `no value column besides ${REQUEST} and ${TARGET}`)
  const valueColumn = table.header[vi]!
  const raw: Array<{ issuedAt: Instant, starts: Instant[], values: number[] }> = []
  for (const { line, cells } of table.rows) {
    const bad = (column: string, problem: string) => new SimInputError(options.name, line, column, problem)
    const issuedAt = parseTimestamp(cells[ri]!, true)
    if (issuedAt === undefined) throw bad(REQUEST, `"${cells[ri]}" is not a timestamp like 2023-06-08 00:00:00 (UTC)`)
    const at = parseTimestamp(cells[fi]!, true)
    if (at === undefined) throw bad(TARGET, `"${cells[fi]}" is not a timestamp like 2023-06-08 00:05:00 (UTC)`)
    const value = parseDecimal(cells[vi]!)
    if (value === undefined) throw bad(valueColumn, `"${cells[vi]}" is not a number`)
    let issue = raw.at(-1)
    if (issue !== undefined && issuedAt < issue.issuedAt) throw bad(REQUEST, `"${cells[ri]}" is earlier than the rows above; rows must be grouped by ${REQUEST} in time order`)
    if (issue === undefined || issuedAt > issue.issuedAt) {
      issue = { issuedAt, starts: [], values: [] }
      raw.push(issue)
    }
    const last = issue.starts.at(-1)
    if (last !== undefined && at <= last) throw bad(TARGET, `"${cells[fi]}" does not come after the previous ${TARGET} of this issue`)
    issue.starts.push(at)
    issue.values.push(value)
  }
  if (raw.length === 0) throw new SimInputError(options.name, undefined, undefined, 'no forecast rows after the header')
  const step = medianStep(raw.reduce<Instant[]>((all, i) => (i.starts.length > all.length ? i.starts : all), []))
  if (!(step > 0)) throw new SimInputError(options.name, undefined, undefined, 'every issue has a single row: cannot tell how long a value holds')
  return new ForecastArchive(raw.map(i => ({
    issuedAt: i.issuedAt,
    points: i.starts.map((start, k) => ({ start, end: i.starts[k + 1] ?? start + step, gPerKwh: i.values[k]! }))
  })))
}

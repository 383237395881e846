import type { Instant, IntensityPoint } from '../core/types.js'
import { parseIntensityCsv } from '../providers/csv.js'
import { medianStep, parseDecimal, parseTimestamp, readTable, type CsvTable } from './csv-table.js'
import { SimInputError } from './input-error.js'

/**
 * The intensity files `greenshift simulate` reads, told apart by their header:
 * - `start-utc`: `start_utc,g_per_kwh`, greenshift's own format (ISO 8601 with Z);
 * - `lets-wait-awhile`: `Time,Carbon Intensity`, naive clock used as UTC (Wiesner et al. 2021);
 * - `electricity-maps`: a portal export with `Datetime (UTC)` and an LCA and a direct column;
 * - `time-value`: two columns `time,<zone>`, naive UTC, e.g. vessim's WattTime actuals.
 */
export type IntensityFormat = 'start-utc' | 'lets-wait-awhile' | 'electricity-maps' | 'time-value'

/** Which Electricity Maps column to read: life-cycle (LCA, the portal's default view) or direct. */
export type EmColumn = 'lca' | 'direct'

const EM_TIME = 'Datetime (UTC)'
const EM_COLUMNS: Record<EmColumn, string> = {
  lca: 'Carbon Intensity gCO₂eq/kWh (LCA)',
  direct: 'Carbon Intensity gCO₂eq/kWh (direct)'
}

/**
 * Rows to keep, applied before values are chained into points (so a kept value holds until the
 * next kept row): rows at or after `from` whose minute of the hour is in `minutes`.
 */
export interface RowFilter {
  from?: Instant
  minutes?: readonly number[]
}

/** Options of `parseIntensityFile`; `name` is how errors refer to the file. */
export interface IntensityFileOptions {
  name: string
  emColumn?: EmColumn
  filter?: RowFilter
}

/** A parsed intensity file: its format, the column read and a piecewise-constant series. */
export interface IntensityFile {
  format: IntensityFormat
  column: string
  points: IntensityPoint[]
}

interface Row { start: Instant, gPerKwh: number }

/** The format a header names, or undefined. */
export function detectIntensityFormat (header: readonly string[]): IntensityFormat | undefined {
  if (header.includes('start_utc') && header.includes('g_per_kwh')) return 'start-utc'
  if (header.includes(EM_TIME)) return 'electricity-maps'
  if (header.includes('Time') && header.includes('Carbon Intensity')) return 'lets-wait-awhile'
  if (header.length === 2 && header[0]?.toLowerCase() === 'time') return 'time-value'
  return undefined
}

/**
 * Parses any of the intensity formats into sorted, gap-free points: each value holds until the
 * next row, the last for the median step. Throws `SimInputError` (or, for `start_utc` files,
 * the provider's `IntensityCsvError`) naming the file, line and column of the first bad cell.
 */
export function parseIntensityFile (text: string, options: IntensityFileOptions): IntensityFile {
  const { name } = options
  const table = readTable(text, name)
  const format = detectIntensityFormat(table.header)
  if (format === undefined) throw unknownHeader(table)
  if (format === 'start-utc') {
    // greenshift's own format: the provider's parser already checks it row by row.
    const rows = parseIntensityCsv(text, { name }).map(p => ({ start: p.start, gPerKwh: p.gPerKwh }))
    return { format, column: 'g_per_kwh', points: chain(name, keep(rows, options.filter)) }
  }
  const [timeColumn, valueColumn] = columnsOf(format, table, options.emColumn ?? 'lca')
  const rows = readRows(table, timeColumn, valueColumn)
  return { format, column: valueColumn, points: chain(name, keep(rows, options.filter)) }
}

function unknownHeader (table: CsvTable): SimInputError {
  if (table.header.includes('request_time') && table.header.includes('forecast_time')) {
    return new SimInputError(table.name, 1, undefined, 'this is a forecast file (request_time, forecast_time): pass it with --forecast ZONE=FILE')
  }
  return new SimInputError(table.name, 1, undefined,
    `unknown intensity header "${table.header.join(',')}"; expected start_utc,g_per_kwh or Time,Carbon Intensity ` +
    `(Let's Wait Awhile) or an Electricity Maps export with "${EM_TIME}" or time,<value>`)
}

function columnsOf (format: Exclude<IntensityFormat, 'start-utc'>, table: CsvTable, em: EmColumn): [string, string] {
  if (format === 'lets-wait-awhile') return ['Time', 'Carbon Intensity']
  if (format === 'time-value') return [table.header[0]!, table.header[1]!]
  if (!table.header.includes(EM_COLUMNS[em])) {
    throw new SimInputError(table.name, 1, EM_COLUMNS[em], `missing from this Electricity Maps export (chosen by --em-column ${em})`)
  }
  return [EM_TIME, EM_COLUMNS[em]]
}

/** Rows with valid, strictly increasing times and finite, non-negative values. */
function readRows (table: CsvTable, timeColumn: string, valueColumn: string): Row[] {
  const ti = table.header.indexOf(timeColumn)
  const vi = table.header.indexOf(valueColumn)
  const rows: Row[] = []
  let previous: { start: Instant, line: number } | undefined
  for (const { line, cells } of table.rows) {
    const bad = (column: string, problem: string) => new SimInputError(table.name, line, column, problem)
    const timeText = cells[ti] ?? ''
    const start = parseTimestamp(timeText, true)
    if (start === undefined) throw bad(timeColumn, `"${timeText}" is not a timestamp like 2020-01-01 00:00:00 (UTC)`)
    if (previous !== undefined && start <= previous.start) {
      throw bad(timeColumn, `"${timeText}" ${start === previous.start ? 'repeats' : 'is earlier than'} line ${previous.line}; rows must be sorted without duplicates`)
    }
    const valueText = cells[vi] ?? ''
    const gPerKwh = parseDecimal(valueText)
    if (gPerKwh === undefined) throw bad(valueColumn, `"${valueText}" is not a number`)
    if (gPerKwh < 0) throw bad(valueColumn, `"${valueText}" is negative`)
    rows.push({ start, gPerKwh })
    previous = { start, line }
  }
  return rows
}

function keep (rows: Row[], filter: RowFilter | undefined): Row[] {
  if (filter === undefined) return rows
  const { from = -Infinity, minutes } = filter
  const allowed = minutes === undefined ? undefined : new Set(minutes)
  return rows.filter(r => r.start >= from && (allowed === undefined || allowed.has(new Date(r.start).getUTCMinutes())))
}

/** Each value holding until the next row; the last for the median step (one missing row among 17,000 does not stretch it). */
function chain (name: string, rows: Row[]): IntensityPoint[] {
  if (rows.length < 2) throw new SimInputError(name, undefined, undefined, `needs at least 2 data rows (after filtering), got ${rows.length}`)
  const last = medianStep(rows.map(r => r.start))
  return rows.map((r, i) => ({ start: r.start, end: rows[i + 1]?.start ?? r.start + last, gPerKwh: r.gPerKwh }))
}

import type { Instant } from '../core/types.js'
import { SimInputError } from './input-error.js'

/** One data row of a CSV file with its 1-based line number. */
export interface CsvRow {
  line: number
  cells: string[]
}

/** A CSV file as its header cells and data rows (blank lines skipped). */
export interface CsvTable {
  name: string
  header: string[]
  rows: CsvRow[]
}

/**
 * Splits CSV text into header and rows. Strips a UTF-8 BOM, accepts CRLF, trims cells and honours
 * double-quoted cells (with "" escapes) so that a zone name like "Texas, ERCOT" stays one cell.
 * Throws `SimInputError` for an empty file or a row whose cell count differs from the header's.
 */
export function readTable (text: string, name: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const first = lines[0] ?? ''
  if (first.trim() === '') throw new SimInputError(name, 1, undefined, 'the file is empty or has no header line')
  const header = splitCells(first)
  const rows: CsvRow[] = []
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!
    if (raw.trim() === '') continue
    const cells = splitCells(raw)
    if (cells.length !== header.length) {
      throw new SimInputError(name, i + 1, undefined, `expected ${header.length} columns like the header, got ${cells.length}`)
    }
    rows.push({ line: i + 1, cells })
  }
  return { name, header, rows }
}

function splitCells (line: string): string[] {
  // Fast path: the 37,000-line intensity files have no quotes at all.
  if (!line.includes('"')) return line.split(',').map(c => c.trim())
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cell += '"'; i++ } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') { cells.push(cell.trim()); cell = '' } else cell += ch
  }
  cells.push(cell.trim())
  return cells
}

/** Index of `column` in the header; throws naming line 1 and the column when it is missing. */
export function requireColumn (table: CsvTable, column: string, expected: string): number {
  const i = table.header.indexOf(column)
  if (i < 0) throw new SimInputError(table.name, 1, column, `missing from the header "${table.header.join(',')}"; expected ${expected}`)
  return i
}

/** `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` then an optional `Z` or `±HH[:]MM` offset. */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?$/

/**
 * Epoch ms of an ISO 8601 timestamp, or undefined when it is malformed or not a real date-time
 * (2023-02-30 is rejected). A timestamp without offset is only accepted when `naive` is true, and
 * is then read as UTC: the Let's Wait Awhile, Electricity Maps and WattTime files all write UTC
 * (or a fixed clock used as UTC) without a designator.
 */
export function parseTimestamp (text: string, naive: boolean): Instant | undefined {
  const m = TIMESTAMP.exec(text)
  if (m === null) return undefined
  const zone = m[8]
  if (zone === undefined && !naive) return undefined
  const n = (i: number): number => Number(m[i] ?? '0')
  const local = Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6), Number((m[7] ?? '').padEnd(3, '0')))
  const d = new Date(local)
  const real = d.getUTCFullYear() === n(1) && d.getUTCMonth() === n(2) - 1 && d.getUTCDate() === n(3) &&
    d.getUTCHours() === n(4) && d.getUTCMinutes() === n(5) && d.getUTCSeconds() === n(6)
  if (!real) return undefined
  return local - offsetMs(zone)
}

function offsetMs (zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0
  const digits = zone.replace(':', '')
  const sign = digits.startsWith('-') ? -1 : 1
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * 60_000
}

/** A plain decimal; `Number()` alone would accept '', '0x10' and 'Infinity'. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/** The number in `text`, or undefined when it is not a plain finite decimal. */
export function parseDecimal (text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined
  const x = Number(text)
  return Number.isFinite(x) ? x : undefined
}

/** Median of the differences of sorted instants (0 with fewer than two). */
export function medianStep (starts: readonly Instant[]): number {
  const steps = starts.slice(1).map((t, i) => t - starts[i]!).sort((a, b) => a - b)
  return steps[Math.floor((steps.length - 1) / 2)] ?? 0
}

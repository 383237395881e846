import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { FactorType, Gas, Instant, IntensityPoint, Series, Signal } from '../core/types.js'
import { checkRange, configuredLabels, contentVersion, ProviderError, type IntensityProvider } from './provider.js'

const START = 'start_utc'
const VALUE = 'g_per_kwh'

/**
 * ISO 8601 with an explicit UTC designator (Z or +00:00): a time without one would be read in the
 * host's zone and shift every point by hours. Seconds and milliseconds are optional.
 */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:Z|\+00:?00)$/
/** A plain decimal; `Number()` alone would accept '', '0x10' and 'Infinity'. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/** A CSV file that cannot be read as an intensity series; `line` is 1-based, `column` may be absent. */
export class IntensityCsvError extends Error {
  readonly file: string
  readonly line: number | undefined
  readonly column: string | undefined

  constructor (file: string, line: number | undefined, column: string | undefined, problem: string) {
    const where = line === undefined ? file : `${file} line ${line}${column === undefined ? '' : `, column ${column}`}`
    super(`${where}: ${problem}`)
    this.name = 'IntensityCsvError'
    this.file = file
    this.line = line
    this.column = column
  }
}

/** Options of `parseIntensityCsv`: `name` is how errors refer to the file (e.g. its base name). */
export interface ParseIntensityCsvOptions {
  name: string
}

interface Row { start: Instant, gPerKwh: number, line: number }

/**
 * Parses `start_utc,g_per_kwh` rows (header required, columns in any order, extra columns ignored)
 * into a gap-free piecewise-constant series: each value holds until the next row's start, and the
 * last row holds for the median step between rows. Rows must be sorted by start without duplicates,
 * and values must be non-negative gCO2e/kWh. Throws `IntensityCsvError` naming file, line, column.
 */
export function parseIntensityCsv (text: string, options: ParseIntensityCsvOptions): IntensityPoint[] {
  const { name } = options
  // Spreadsheet exports often start with a UTF-8 BOM and end lines with CRLF (the shipped files do).
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const header = splitCells(lines[0] ?? '')
  const startAt = header.indexOf(START)
  const valueAt = header.indexOf(VALUE)
  if (startAt < 0 || valueAt < 0) {
    throw new IntensityCsvError(name, 1, undefined, `the header must name the columns ${START} and ${VALUE}, got "${lines[0] ?? ''}"`)
  }
  const rows: Row[] = []
  lines.forEach((raw, i) => {
    if (i === 0 || raw.trim() === '') return
    const cells = splitCells(raw)
    if (cells.length !== header.length) {
      throw new IntensityCsvError(name, i + 1, undefined, `expected ${header.length} columns, got ${cells.length}`)
    }
    rows.push(parseRow(name, i + 1, cells[startAt] ?? '', cells[valueAt] ?? '', rows.at(-1)))
  })
  return toPoints(name, rows)
}

/** Cells trimmed, with one pair of surrounding double quotes removed; no value here contains a comma. */
function splitCells (line: string): string[] {
  return line.split(',').map(cell => cell.trim().replace(/^"(.*)"$/, '$1').trim())
}

function parseRow (name: string, line: number, startText: string, valueText: string, previous: Row | undefined): Row {
  const start = parseUtc(startText)
  if (start === undefined) {
    throw new IntensityCsvError(name, line, START, `"${startText}" is not an ISO 8601 UTC time like 2022-01-01T00:00:00Z`)
  }
  if (previous !== undefined && start <= previous.start) {
    const problem = start === previous.start ? 'repeats the start of' : 'is earlier than'
    throw new IntensityCsvError(name, line, START, `"${startText}" ${problem} line ${previous.line}; rows must be sorted by ${START} without duplicates`)
  }
  const gPerKwh = Number(valueText)
  if (!DECIMAL.test(valueText) || !Number.isFinite(gPerKwh)) {
    throw new IntensityCsvError(name, line, VALUE, `"${valueText}" is not a number`)
  }
  if (gPerKwh < 0) throw new IntensityCsvError(name, line, VALUE, `"${valueText}" is negative`)
  return { start, gPerKwh, line }
}

/** Epoch ms, or undefined when the text is not a real UTC date-time (2022-02-30 is rejected). */
function parseUtc (text: string): Instant | undefined {
  const m = ISO_UTC.exec(text)
  if (m === null) return undefined
  const n = (i: number): number => Number(m[i] ?? '0')
  const t = Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6), Number((m[7] ?? '').padEnd(3, '0')))
  // Date.UTC rolls 2022-02-30 over to March 2; a round trip catches every out-of-range field.
  const d = new Date(t)
  const same = d.getUTCFullYear() === n(1) && d.getUTCMonth() === n(2) - 1 && d.getUTCDate() === n(3) &&
    d.getUTCHours() === n(4) && d.getUTCMinutes() === n(5) && d.getUTCSeconds() === n(6)
  return same ? t : undefined
}

function toPoints (name: string, rows: Row[]): IntensityPoint[] {
  if (rows.length === 0) throw new IntensityCsvError(name, undefined, undefined, 'no data rows after the header')
  if (rows.length === 1) {
    throw new IntensityCsvError(name, undefined, undefined, 'needs at least 2 rows: the last row holds for the median step between rows')
  }
  const steps = rows.slice(1).map((row, i) => row.start - (rows[i]?.start ?? row.start)).sort((a, b) => a - b)
  // Median, not last step: one missing hour among 8,760 still leaves the last row 1 h. With an even
  // count the shorter middle step wins, so the last row never claims more time than the file shows.
  const lastStep = steps[Math.floor((steps.length - 1) / 2)] ?? 0
  return rows.map((row, i) => ({
    start: row.start,
    end: rows[i + 1]?.start ?? row.start + lastStep,
    gPerKwh: row.gPerKwh
  }))
}

/** Points overlapping [from, to), cut to it; `points` sorted and non-overlapping. */
export function clipPoints (points: readonly IntensityPoint[], from: Instant, to: Instant): IntensityPoint[] {
  // Binary search for the first point ending after `from`: files may hold years of 15-min rows.
  let lo = 0
  let hi = points.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((points[mid]?.end ?? Infinity) <= from) lo = mid + 1
    else hi = mid
  }
  const out: IntensityPoint[] = []
  for (let i = lo; i < points.length; i++) {
    const p = points[i]
    if (p === undefined || p.start >= to) break
    const clipped = { start: Math.max(p.start, from), end: Math.min(p.end, to), gPerKwh: p.gPerKwh }
    // A forecast's band comes along (greenshift's model gives one; files do not).
    out.push(p.p10 === undefined && p.p90 === undefined ? clipped : { ...clipped, p10: p.p10, p90: p.p90 })
  }
  return out
}

/** Options of `CsvProvider`. */
export interface CsvProviderOptions {
  /** The zone this file describes; other zones are `unknown-zone`. */
  zone: string
  path: string
  /** What the file's values are: the file cannot say, so the config must. */
  signal: Signal
  /** What they count and cover; default co2e/lifecycle for an average signal, co2/marginal for a marginal one. */
  gas?: Gas
  factorType?: FactorType
  /** Reads the file (bytes, or text as UTF-8); default `fs.readFileSync(path)`. Injected for tests. */
  load?: (path: string) => string | Uint8Array
}

/**
 * Serves one zone from a local `start_utc,g_per_kwh` file, read and validated once at construction
 * (a bad file fails at startup, not at the first tick). Forecast and actuals both return the file,
 * with its content hash as `version`: an edited file (read at the next start) is another version.
 */
export class CsvProvider implements IntensityProvider {
  readonly id = 'csv'
  readonly signal: Signal
  readonly gas: Gas
  readonly factorType: FactorType
  readonly zone: string
  readonly source: string
  /** `sha256:<16 hex>` of the file's bytes (`contentVersion`). */
  readonly version: string
  private readonly points: IntensityPoint[]

  constructor (options: CsvProviderOptions) {
    const { zone, path, signal, load = (p: string) => readFileSync(p) } = options
    this.zone = zone
    this.signal = signal
    const labels = configuredLabels(signal, options.gas, options.factorType)
    this.gas = labels.gas
    this.factorType = labels.factorType
    this.source = `csv:${basename(path)}`
    let bytes: string | Uint8Array
    try {
      bytes = load(path)
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      throw new ProviderError('csv', zone, 'unavailable', `csv provider for zone ${zone}: cannot read ${path} (${reason})`, { cause: err })
    }
    this.version = contentVersion(bytes)
    const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes)
    try {
      this.points = parseIntensityCsv(text, { name: basename(path) })
    } catch (err) {
      if (!(err instanceof IntensityCsvError)) throw err
      throw new ProviderError('csv', zone, 'bad-data', err.message, { cause: err })
    }
  }

  async forecast (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    return this.series(zone, from, to, signal)
  }

  async actuals (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    return this.series(zone, from, to, signal)
  }

  private series (zone: string, from: Instant, to: Instant, signal: AbortSignal | undefined): Series {
    signal?.throwIfAborted()
    checkRange('csv', zone, from, to)
    if (zone !== this.zone) {
      throw new ProviderError('csv', zone, 'unknown-zone', `csv provider ${this.source} serves zone ${this.zone}, not ${zone}`)
    }
    const { signal: kind, gas, factorType, source, version } = this
    return { zone, signal: kind, gas, factorType, source, version, points: clipPoints(this.points, from, to) }
  }
}

import { MINUTE_MS, type Instant } from '../core/types.js'
import { parseDecimal, parseTimestamp, readTable, requireColumn, type CsvTable } from './csv-table.js'
import { SimInputError } from './input-error.js'

/** A job to replay: when it arrived, how long it runs, its deadline and where it belongs. */
export interface SimJob {
  id: string
  /** 1-based line in the jobs file, for error messages (0 for jobs built in code). */
  line: number
  arrival: Instant
  durationMs: number
  deadline: Instant
  /** Undefined: as the simulation's `interruptible` option says. */
  interruptible?: boolean
  gpus: number
  /** The job's home zone or pool: where its baseline runs. Undefined: the only zone, or the first pool. */
  zone?: string
  pool?: string
}

const REQUIRED = ['job_id', 'arrival_utc', 'duration_minutes', 'deadline_utc'] as const
const EXPECTED = 'job_id,arrival_utc,duration_minutes,deadline_utc[,interruptible][,gpus][,zone|pool]'
const BOOLEANS: Record<string, boolean> = { true: true, yes: true, 1: true, false: false, no: false, 0: false }

/**
 * Parses a jobs file: `job_id,arrival_utc,duration_minutes,deadline_utc` and optionally
 * `interruptible` (true/false/yes/no/1/0, empty = default), `gpus` (default 1), `zone` or `pool`.
 * Times are ISO 8601 instants with Z or an offset (a bare local time would shift jobs by hours).
 * Throws `SimInputError` naming line and column for a bad cell, a duplicate id, or a deadline
 * earlier than arrival + duration.
 */
export function parseJobsCsv (text: string, options: { name: string }): SimJob[] {
  const table = readTable(text, options.name)
  const at = Object.fromEntries(REQUIRED.map(c => [c, requireColumn(table, c, EXPECTED)])) as Record<typeof REQUIRED[number], number>
  const seen = new Map<string, number>()
  const jobs = table.rows.map(({ line, cells }) => {
    const job = parseJob(table, line, cells, at)
    const first = seen.get(job.id)
    if (first !== undefined) throw new SimInputError(table.name, line, 'job_id', `"${job.id}" repeats the id of line ${first}`)
    seen.set(job.id, line)
    return job
  })
  if (jobs.length === 0) throw new SimInputError(table.name, undefined, undefined, 'no jobs after the header')
  return jobs
}

function parseJob (table: CsvTable, line: number, cells: string[], at: Record<typeof REQUIRED[number], number>): SimJob {
  const bad = (column: string, problem: string) => new SimInputError(table.name, line, column, problem)
  const cell = (column: string): string | undefined => {
    const i = table.header.indexOf(column)
    return i < 0 ? undefined : cells[i]
  }
  const id = cells[at.job_id]!
  if (id === '') throw bad('job_id', 'is empty')
  const instant = (column: 'arrival_utc' | 'deadline_utc'): Instant => {
    const text = cells[at[column]]!
    const t = parseTimestamp(text, false)
    if (t === undefined) throw bad(column, `"${text}" is not an ISO 8601 instant like 2024-03-01T09:00:00Z (an offset or Z is required)`)
    return t
  }
  const arrival = instant('arrival_utc')
  const deadline = instant('deadline_utc')
  const durationText = cells[at.duration_minutes]!
  const minutes = parseDecimal(durationText)
  if (minutes === undefined || !(minutes > 0)) throw bad('duration_minutes', `"${durationText}" is not a positive number of minutes`)
  const durationMs = minutes * MINUTE_MS
  if (deadline < arrival + durationMs) {
    throw bad('deadline_utc', `"${cells[at.deadline_utc]}" is earlier than arrival + duration (${new Date(arrival + durationMs).toISOString()})`)
  }
  return withOptionalColumns({ id, line, arrival, durationMs, deadline, gpus: 1 }, cell, bad)
}

/** Fills `gpus`, `interruptible`, `zone` and `pool` from their columns when present and not empty. */
function withOptionalColumns (
  job: SimJob, cell: (column: string) => string | undefined, bad: (column: string, problem: string) => SimInputError
): SimJob {
  const gpusText = cell('gpus')
  if (gpusText !== undefined && gpusText !== '') {
    if (!/^\d+$/.test(gpusText) || Number(gpusText) < 1) throw bad('gpus', `"${gpusText}" is not a positive whole number`)
    job.gpus = Number(gpusText)
  }
  const flag = cell('interruptible')?.toLowerCase()
  if (flag !== undefined && flag !== '') {
    const value = BOOLEANS[flag]
    if (value === undefined) throw bad('interruptible', `"${flag}" is not true/false/yes/no/1/0`)
    job.interruptible = value
  }
  const zone = cell('zone')
  if (zone !== undefined && zone !== '') job.zone = zone
  const pool = cell('pool')
  if (pool !== undefined && pool !== '') job.pool = pool
  return job
}

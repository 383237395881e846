import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MINUTE_MS, type Instant, type IntensityPoint } from '../core/types.js'
import { parseDecimal, readTable, requireColumn } from './csv-table.js'
import { simulate } from './engine.js'
import { SimInputError } from './input-error.js'
import { parseIntensityFile, type RowFilter } from './intensity-formats.js'
import type { SimJob } from './jobs-csv.js'
import type { SimOptions, SimSummary } from './types.js'

/**
 * Reproduction of Wiesner et al., "Let's Wait Awhile" (Middleware '21), Scenario II: 3,387 ML
 * training jobs in 2020, rules exactly as in shared/TARGETS.md. The data's clock is naive and
 * fixed (no DST gap on 2020-03-29): it is used as UTC as it is, and so are the rules' 09:00/17:00.
 */
export const LWA_EPOCH: Instant = Date.UTC(2020, 0, 1)
/** One step of the published simulation: 30 minutes. */
export const LWA_STEP_MS = 30 * MINUTE_MS
/** TARGETS rule 1: rows from 2020-01-01 00:00 on the 30-minute grid (DE and GB have 15-min rows too). */
export const LWA_FILTER: RowFilter = { from: LWA_EPOCH, minutes: [0, 30] }

/** The paper's regions that have data: Germany, Great Britain, France (California's file was withheld). */
export type LwaRegion = 'DE' | 'GB' | 'FR'
/** The two Scenario II deadline rules (see `ruleDeadline`). */
export type DeadlineRule = 'next_workday' | 'semi_weekly'

/** The data files of each region, named as in dos-group/lets-wait-awhile. */
export const LWA_FILES: Record<LwaRegion, string> = { DE: 'ger_ci.csv', GB: 'gb_ci.csv', FR: 'fr_ci.csv' }

/** One row of the published Table 2 (Scenario II, no forecast error): percent saved. */
export interface PublishedRow {
  region: LwaRegion
  rule: DeadlineRule
  interruptible: boolean
  published: number
}

const ROWS: Array<[LwaRegion, DeadlineRule, number, number]> = [
  ['DE', 'next_workday', 5.93, 8.16], ['DE', 'semi_weekly', 14.13, 18.50],
  ['GB', 'next_workday', 6.57, 9.23], ['GB', 'semi_weekly', 14.75, 20.00],
  ['FR', 'next_workday', 4.79, 6.22], ['FR', 'semi_weekly', 11.15, 13.86]
]

/** The 12 published figures, in the paper's order. */
export const PUBLISHED: readonly PublishedRow[] = ROWS.flatMap(([region, rule, fixed, interruptible]) => [
  { region, rule, interruptible: false, published: fixed },
  { region, rule, interruptible: true, published: interruptible }
])

const DAY_MS = 1440 * MINUTE_MS
const NINE = 9 * 60 * MINUTE_MS
const FIVE_PM = 17 * 60 * MINUTE_MS

/**
 * The deadline a rule gives a job whose original finish is `f0` (TARGETS rule 3; "after 17:00"
 * means later than 17:00, so 17:00 itself is not after).
 * - next_workday: Saturday → Monday 09:00; Sunday or later than 17:00 → next day 09:00 (a Friday
 *   evening finish gets Saturday 09:00, as published); earlier than 09:00 → 09:00; else f0.
 * - semi_weekly: Monday after 09:00 through Thursday 09:00 → that Thursday 09:00; later → the next
 *   Monday 09:00; Monday 09:00 or earlier → that Monday 09:00.
 */
export function ruleDeadline (rule: DeadlineRule, f0: Instant): Instant {
  const midnight = Math.floor(f0 / DAY_MS) * DAY_MS
  const clock = f0 - midnight
  const weekday = new Date(f0).getUTCDay()
  if (rule === 'next_workday') {
    if (weekday === 6) return midnight + 2 * DAY_MS + NINE
    if (weekday === 0 || clock > FIVE_PM) return midnight + DAY_MS + NINE
    if (clock < NINE) return midnight + NINE
    return f0
  }
  const monday = midnight - ((weekday + 6) % 7) * DAY_MS
  const sinceMonday = f0 - monday
  if (sinceMonday <= NINE) return monday + NINE
  if (sinceMonday <= 3 * DAY_MS + NINE) return monday + 3 * DAY_MS + NINE
  return monday + 7 * DAY_MS + NINE
}

/** A job of the derived list: arrival and duration on the naive clock. */
export interface LwaJob {
  id: string
  arrival: Instant
  durationMs: number
}

/** Parses `job_id,arrival_minute,duration_minutes` (minutes from 2020-01-01 00:00). */
export function parseLwaJobs (text: string, name: string): LwaJob[] {
  const table = readTable(text, name)
  const expected = 'job_id,arrival_minute,duration_minutes'
  const [id, arrival, duration] = ['job_id', 'arrival_minute', 'duration_minutes'].map(c => requireColumn(table, c, expected)) as [number, number, number]
  return table.rows.map(({ line, cells }) => {
    const minute = (i: number, column: string): number => {
      const x = parseDecimal(cells[i]!)
      if (x === undefined || x < 0) throw new SimInputError(name, line, column, `"${cells[i]}" is not a non-negative number of minutes`)
      return x
    }
    return { id: cells[id]!, arrival: LWA_EPOCH + minute(arrival, 'arrival_minute') * MINUTE_MS, durationMs: minute(duration, 'duration_minutes') * MINUTE_MS }
  })
}

/**
 * The simulator's jobs under a rule: the rule's deadline plus one step, because the published code
 * lets a job use the step that starts at the deadline (TARGETS rule 4).
 */
export function lwaSimJobs (jobs: readonly LwaJob[], rule: DeadlineRule): SimJob[] {
  return jobs.map(j => ({
    id: j.id,
    line: 0,
    arrival: j.arrival,
    durationMs: j.durationMs,
    deadline: ruleDeadline(rule, j.arrival + j.durationMs) + LWA_STEP_MS,
    gpus: 1
  }))
}

/** The published study's inputs: each region's filtered series and the job list. */
export interface LwaData {
  series: Record<LwaRegion, IntensityPoint[]>
  jobs: LwaJob[]
}

/**
 * Reads `data/lets-wait-awhile/{ger,gb,fr}_ci.csv` and
 * `data/derived/lets-wait-awhile_ml_jobs_seed0.csv` under `root` (the repository), filtered by rule 1.
 */
export function loadLetsWaitAwhile (root: string, regions: readonly LwaRegion[] = ['DE', 'GB', 'FR']): LwaData {
  const series = {} as Record<LwaRegion, IntensityPoint[]>
  for (const r of regions) {
    const file = LWA_FILES[r]
    series[r] = parseIntensityFile(readFileSync(join(root, 'data/lets-wait-awhile', file), 'utf8'), { name: file, filter: LWA_FILTER }).points
  }
  const jobsFile = 'lets-wait-awhile_ml_jobs_seed0.csv'
  return { series, jobs: parseLwaJobs(readFileSync(join(root, 'data/derived', jobsFile), 'utf8'), jobsFile) }
}

/**
 * One cell of the table: the jobs under `rule` on one region at 1 kW, baseline allowed one step
 * late (rule 4), each job interruptible or not. The saving is `summary.savingPct`.
 */
export function runLetsWaitAwhile (
  data: LwaData, region: LwaRegion, rule: DeadlineRule, interruptible: boolean, onProgress?: SimOptions['onProgress']
): SimSummary {
  const actual = data.series[region]
  const options: SimOptions = { kw: 1, interruptible, baselineFlexMinutes: LWA_STEP_MS / MINUTE_MS }
  if (onProgress !== undefined) options.onProgress = onProgress
  return simulate({
    zones: [{ zone: region, actual, source: `lets-wait-awhile:${LWA_FILES[region]}` }],
    jobs: lwaSimJobs(data.jobs, rule),
    signal: 'average'
  }, options).summary
}

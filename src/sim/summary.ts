import type { Fleet } from './fleet.js'
import type { SimJobResult, SimSummary } from './types.js'

/** Totals and ratios over the per-job results (see `SimSummary` for each figure's definition). */
export function summarize (rows: readonly SimJobResult[], fleet: Pick<Fleet, 'zones' | 'plannerSaw'>, signal: string): SimSummary {
  let baselineG = 0
  let plannedG = 0
  let oracleG = 0
  let ratioSum = 0
  let ratioCount = 0
  for (const r of rows) {
    baselineG += r.baselineG
    plannedG += r.plannedG
    oracleG += r.oracleG
    if (r.baselineG > 0) {
      ratioSum += 1 - r.plannedG / r.baselineG
      ratioCount++
    }
  }
  const pct = (part: number) => (baselineG > 0 ? 100 * (1 - part / baselineG) : 0)
  const oracleSaved = baselineG - oracleG
  return {
    jobs: rows.length,
    baselineG,
    plannedG,
    oracleG,
    savingPct: pct(plannedG),
    oracleSavingPct: pct(oracleG),
    meanJobSavingPct: ratioCount > 0 ? 100 * ratioSum / ratioCount : 0,
    // Below 1e-9 of the baseline the oracle saved nothing real, and the ratio would be noise.
    capturedPct: oracleSaved > 1e-9 * baselineG ? 100 * (baselineG - plannedG) / oracleSaved : null,
    deadlineMisses: rows.filter(r => r.missed).length,
    oracleUnplaced: rows.filter(r => r.oracleUnplaced).length,
    fallbackJobs: rows.filter(r => r.usesFallback).length,
    signal,
    source: [...fleet.zones.values()].map(z => z.data.source).join('+'),
    plannerSaw: fleet.plannerSaw
  }
}

/** Header of the per-job CSV. */
export const PER_JOB_HEADER = 'job_id,baseline_g,planned_g,oracle_g,start_utc,end_utc,segments,pool'

/**
 * The per-job CSV: grams to 0.001 g (a 1 kW job over 30 min at 50 g/kWh is 25 g, so that keeps
 * 5 significant digits even for the cleanest grid), times as ISO 8601 UTC, empty cells for a job
 * that could not be placed.
 */
export function perJobCsv (rows: readonly SimJobResult[]): string {
  const iso = (t: number | undefined) => (t === undefined ? '' : new Date(t).toISOString())
  const cell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  const lines = rows.map(r => [
    cell(r.jobId), r.baselineG.toFixed(3), r.plannedG.toFixed(3), r.oracleG.toFixed(3),
    iso(r.start), iso(r.end), String(r.segments), cell(r.pool ?? '')
  ].join(','))
  return [PER_JOB_HEADER, ...lines].join('\n') + '\n'
}

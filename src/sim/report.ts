import type { SimSummary } from './types.js'

const grams = (g: number) => `${g.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} g CO2e`
const pct = (x: number) => `${x.toFixed(2)} %`

/** The summary as a few aligned lines for a terminal. */
export function formatSummary (s: SimSummary): string {
  const captured = s.capturedPct === null ? 'n/a (the oracle saves nothing)' : `${s.capturedPct.toFixed(1)} % of the oracle's saving`
  const lines = [
    `jobs             ${s.jobs.toLocaleString('en-US')}`,
    `signal           ${s.signal} (accounted on ${s.source})`,
    `planner saw      ${s.plannerSaw}`,
    `baseline         ${grams(s.baselineG)}`,
    `planned          ${grams(s.plannedG)}   saved ${pct(s.savingPct)} of the total, ${pct(s.meanJobSavingPct)} per job on average`,
    `oracle           ${grams(s.oracleG)}   saved ${pct(s.oracleSavingPct)}`,
    `captured         ${captured}`,
    `deadline misses  ${s.deadlineMisses}`
  ]
  if (s.fallbackJobs > 0) lines.push(`fallback         ${s.fallbackJobs} jobs planned partly beyond the forecast horizon, on the planner's labelled fallback`)
  if (s.oracleUnplaced > 0) lines.push(`oracle unplaced  ${s.oracleUnplaced} jobs (pools full); counted at their baseline`)
  return lines.join('\n') + '\n'
}

/**
 * A progress bar drawn with carriage returns: redrawn only when the whole percent changes (3,387
 * jobs would otherwise mean 3,387 writes), finished with a newline.
 */
export function progressBar (write: (s: string) => void, label = 'jobs', width = 30): (done: number, total: number) => void {
  let shown = -1
  return (done, total) => {
    const percent = total > 0 ? Math.floor(100 * done / total) : 100
    if (percent === shown && done < total) return
    shown = percent
    const filled = Math.round(width * percent / 100)
    write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)} % ${done}/${total} ${label}`)
    if (done >= total) write('\n')
  }
}

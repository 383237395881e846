import type { ReportedRun, ReportProblem } from '../core/plausible.js'
import type { RunNote } from './runs.js'

const isoOrNull = (t: number | null | undefined) => t === null || t === undefined ? null : Number.isFinite(t) ? new Date(t).toISOString() : String(t)

/**
 * The `report-implausible` event of a report that was booked clamped (times in the run's window,
 * energy estimated) because nobody could be told: who reported, the raw values as reported, and
 * what was wrong with each, so an operator can see what the executor said and why it was not used.
 */
export function implausibleNote (who: string, attempt: number, reported: ReportedRun, problems: readonly ReportProblem[]): RunNote {
  return {
    type: 'report-implausible',
    reason: `${who} reported an impossible run; booked within the run's window, its energy left to the estimate: ${problems.map(p => `${p.field} ${p.message}`).join('; ')}`,
    data: {
      attempt,
      reported: {
        startedAt: isoOrNull(reported.startedAt),
        finishedAt: isoOrNull(reported.finishedAt),
        energyKwh: reported.energyKwh ?? null,
        metered: reported.metered
      },
      problems
    }
  }
}

import type { ForecastModel } from '../src/forecast/model.js'
import { simulate } from '../src/sim/engine.js'
import type { SimJob } from '../src/sim/jobs-csv.js'
import type { IntensityPoint } from '../src/core/types.js'

const HOUR_MS = 3_600_000

/** Jobs of the capture measure: an hour's work arriving every 6 h, each due 24 h after its hour's work could end. */
export const CAPTURE = { everyHours: 6, durationHours: 1, slackHours: 24 }

/**
 * The share of the oracle's saving a model captures on one zone over [from, to): 1-hour jobs with
 * 24 h of slack, each planned at arrival on the model's forecast from the actuals before that hour,
 * accounted on the actuals; the same jobs planned on persistence in the same run beside it.
 */
export function captureFor (zone: string, points: IntensityPoint[], from: number, to: number, model: ForecastModel, persistence: ForecastModel, planning?: ForecastModel): { model: number | null, persistence: number | null, planning?: number | null, jobs: number } {
  const jobs: SimJob[] = []
  const span = (CAPTURE.durationHours + CAPTURE.slackHours) * HOUR_MS
  for (let t = from, i = 0; t + span <= to; t += CAPTURE.everyHours * HOUR_MS, i++) {
    jobs.push({ id: `j${i}`, line: i + 2, arrival: t, durationMs: CAPTURE.durationHours * HOUR_MS, deadline: t + span, gpus: 1 })
  }
  const input = { zones: [{ zone, actual: points, source: zone }], jobs, signal: 'average' as const }
  const share = (m: ForecastModel) => simulate(input, { forecastModel: m }).summary.capturedPct
  const chosen = share(model)
  // The scheduler's own model, where it is not the one measured already.
  const plans = planning === undefined ? {} : { planning: planning === model ? chosen : share(planning) }
  return { model: chosen, persistence: share(persistence), ...plans, jobs: jobs.length }
}

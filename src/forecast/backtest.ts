import { evaluate, originsFor, splitFor, type HorizonScore } from './evaluate.js'
import type { ForecastModel, Hourly } from './model.js'

/**
 * One zone's backtest as `greenshift forecast-eval` and `npm run bench:forecast` run it: every
 * model is scored on the validation origins, the one with the lowest day-ahead (24 h) MAPE is
 * kept, and it and persistence are then scored on the test origins, which played no part in the
 * choice. Pure: the caller reads the file and prints.
 */

/** Model selection is on day-ahead error, the horizon providers' forecasts most often lack. */
export const SELECT_HOURS = 24

/**
 * The split is laid out for this horizon (the forecaster's longest) whatever horizons are scored,
 * so `--horizons 24` reports the same origins, and the same choice of model, as the default.
 */
export const SPLIT_HOURS = 96

export interface BacktestOptions {
  horizons: readonly number[]
  /** Hours between origins; 24 puts one at every 00:00 UTC. */
  everyHours: number
}

/** A model's validation MAPE at `SELECT_HOURS`, a fraction. */
export interface ValidationScore {
  model: string
  mape: number
}

export interface BacktestHorizon {
  hours: number
  model: { mape: number, mae: number, coverage: number, n: number }
  persistence: { mape: number, mae: number, coverage: number, n: number }
}

export interface Backtest {
  /** The chosen model's name. */
  model: string
  persistence: string
  validation: { from: string, to: string, origins: number, scores: ValidationScore[] }
  test: { from: string, to: string, origins: number }
  horizons: BacktestHorizon[]
}

/** Thrown when a series is too short to give both validation and test origins. */
export class BacktestError extends Error {}

export function backtest (series: Hourly, models: readonly ForecastModel[], persistence: ForecastModel, opts: BacktestOptions): Backtest {
  if (models.length === 0) throw new BacktestError('no models to choose from')
  const longest = Math.max(...opts.horizons, SPLIT_HOURS)
  const split = splitFor(series, longest, opts.everyHours)
  const validationOrigins = originsFor(series, split.validation, longest)
  const testOrigins = originsFor(series, split.test, longest)
  if (validationOrigins.length === 0 || testOrigins.length === 0) {
    const days = (series.values.length / 24).toFixed(1)
    throw new BacktestError(`the series (${days} days) is too short for validation and test origins: it needs 28 days of history before the second half and ${longest} h after the last origin`)
  }
  const scores = models.map(m => ({
    model: m,
    mape: evaluate(series, m, { origins: validationOrigins, horizons: [SELECT_HOURS] }).horizons[0]!.mape
  }))
  const chosen = pick(scores)
  const ours = evaluate(series, chosen, { origins: testOrigins, horizons: opts.horizons })
  const theirs = evaluate(series, persistence, { origins: testOrigins, horizons: opts.horizons })
  return {
    model: chosen.name,
    persistence: persistence.name,
    validation: { ...range(validationOrigins), origins: validationOrigins.length, scores: scores.map(s => ({ model: s.model.name, mape: s.mape })) },
    test: { ...range(testOrigins), origins: testOrigins.length },
    horizons: ours.horizons.map((h, k) => ({ hours: h.hours, model: brief(h), persistence: brief(theirs.horizons[k]!) }))
  }
}

/** The lowest MAPE; the first listed on a tie; a NaN score (nothing scored) loses to any number. */
function pick (scores: Array<{ model: ForecastModel, mape: number }>): ForecastModel {
  let best = scores[0]!
  for (const s of scores.slice(1)) {
    if (s.mape < best.mape || (Number.isNaN(best.mape) && !Number.isNaN(s.mape))) best = s
  }
  return best.model
}

function brief (h: HorizonScore): BacktestHorizon['model'] {
  return { mape: h.mape, mae: h.mae, coverage: h.coverage, n: h.n }
}

function range (origins: number[]): { from: string, to: string } {
  return { from: new Date(origins[0]!).toISOString(), to: new Date(origins[origins.length - 1]!).toISOString() }
}

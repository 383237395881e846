import type { Instant, IntensityPoint, Series, Signal } from '../../src/core/types.js'
import type { IntensityProvider } from '../../src/providers/provider.js'

export const HOUR = 3_600_000
export const WEEK = 7 * 24 * HOUR

/** A fake grid provider whose values come from `value(hourStart)`, switched off by `down = true`. */
export interface FakeGrid extends IntensityProvider {
  down: boolean
  forecastHours: number
  /** How many hours back from the end of a request its actuals reach (a provider with a short memory); default all. */
  keepsHours: number
  value: (t: Instant) => number
  calls: { forecast: number, actuals: number }
}

/** Hour-aligned points over [from, to), clipped to it, valued by `value`. */
function hourly (from: Instant, to: Instant, value: (t: Instant) => number): IntensityPoint[] {
  const out: IntensityPoint[] = []
  for (let t = Math.floor(from / HOUR) * HOUR; t < to; t += HOUR) {
    out.push({ start: Math.max(t, from), end: Math.min(t + HOUR, to), gPerKwh: value(t) })
  }
  return out
}

/**
 * A provider like a real one: forecasts reach `forecastHours` (default 24) past `from`, actuals
 * cover the range (at most its last `keepsHours`); source `<id>:<zone>`.
 */
export function fakeGrid (id: string, signal: Signal, value: (t: Instant) => number): FakeGrid {
  const grid: FakeGrid = {
    id,
    signal,
    down: false,
    forecastHours: 24,
    keepsHours: Infinity,
    value,
    calls: { forecast: 0, actuals: 0 },
    forecast: async (zone, from, to): Promise<Series> => {
      grid.calls.forecast++
      if (grid.down) throw new Error(`${id}: HTTP 500 (test)`)
      return { zone, signal, source: `${id}:${zone}`, points: hourly(from, Math.min(to, from + grid.forecastHours * HOUR), grid.value) }
    },
    actuals: async (zone, from, to): Promise<Series> => {
      grid.calls.actuals++
      if (grid.down) throw new Error(`${id}: HTTP 500 (test)`)
      return { zone, signal, source: `${id}:${zone}`, points: hourly(Math.max(from, to - grid.keepsHours * HOUR), to, grid.value) }
    }
  }
  return grid
}

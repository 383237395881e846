import { expect, test } from 'vitest'
import type { Series } from '../../src/core/types.js'
import type { IntensityProvider } from '../../src/providers/provider.js'
import { forecastSeries, refreshStale, REFRESH_MS } from '../../src/scheduler/forecasts.js'
import { HOUR, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()

/** Wraps a provider so its forecast calls are counted and answer only when released. */
function gated (real: IntensityProvider) {
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  let calls = 0
  const provider: IntensityProvider = {
    id: real.id,
    signal: real.signal,
    forecast: async (zone, from, to, signal): Promise<Series> => { calls++; await gate; return await real.forecast(zone, from, to, signal) },
    actuals: real.actuals.bind(real)
  }
  return { provider, release: () => release(), calls: () => calls }
}

test('requests arriving during a forecast fetch wait for it instead of planning on nothing', async () => {
  const { deps } = t()
  const north = gated(deps.providers.get('NORTH')!)
  deps.providers.set('NORTH', north.provider)
  const first = forecastSeries(deps, 'NORTH', NOW, NOW + 10 * HOUR, NOW)
  const second = forecastSeries(deps, 'NORTH', NOW, NOW + 10 * HOUR, NOW)
  north.release()
  const [a, b] = await Promise.all([first, second])
  expect(north.calls()).toBe(1)
  expect(a.points).toHaveLength(10)
  expect(b.points).toEqual(a.points)
})

test('the tick fetches only stale zones', async () => {
  const { deps } = t()
  const north = gated(deps.providers.get('NORTH')!)
  north.release()
  deps.providers.set('NORTH', north.provider)
  expect(await refreshStale(deps, NOW)).toBe(2)
  expect(await refreshStale(deps, NOW + REFRESH_MS - 1)).toBe(0)
  expect(await refreshStale(deps, NOW + REFRESH_MS)).toBe(2)
  expect(north.calls()).toBe(2)
})

import { expect, test } from 'vitest'
import type { Config } from '../../src/config.js'
import { insertIntensityPoints, latestPoints, storedIntensity } from '../../src/store/intensity.js'
import { refreshIfStale, refreshStale } from '../../src/scheduler/forecasts.js'
import { NOW, useTestApp } from '../support/app.js'
import { fakeGrid, HOUR } from './grid.js'

const t = useTestApp()
const MINUTE = 60_000

async function actualRows (): Promise<number> {
  const rows = await t().deps.store.db.selectFrom('intensity_points').select(db => db.fn.countAll<string>().as('n'))
    .where('zone', '=', 'NORTH').where('kind', '=', 'actual').executeTakeFirstOrThrow()
  return Number(rows.n)
}

/** The test config with NORTH as a chain zone refreshed every `minutes`. */
function withChainZone (config: Config, minutes: number): Config {
  const north = { providers: [{ provider: 'replay' as const, dataset: 'zones-2022' as const, region: 'DE', horizonHours: 48 }], refreshMinutes: minutes }
  return { ...config, zones: { ...config.zones, NORTH: north } }
}

test('the first time, 35 days of actuals (what the model trains on); then the last 48 h re-fetched each refresh, stored only when new or revised', async () => {
  const { deps } = t()
  const grid = fakeGrid('grid', 'average', () => 300)
  deps.providers.set('NORTH', grid)
  await refreshStale(deps, NOW)
  const backfill = 35 * 24
  expect(await actualRows()).toBe(backfill)
  await refreshStale(deps, NOW + 10 * MINUTE)
  expect(grid.calls.actuals).toBe(1)

  // 31 min on: the same 48 hours, plus the part of the current hour now known.
  await refreshStale(deps, NOW + 31 * MINUTE)
  expect(await actualRows()).toBe(backfill + 1)

  // The provider revises one estimated hour; the current hour completes and the next begins.
  grid.value = h => h === NOW - 3 * HOUR ? 280 : 300
  await refreshStale(deps, NOW + 62 * MINUTE)
  expect(grid.calls.actuals).toBe(3)
  // Three new rows; the oldest backfilled hour is now more than 35 days old and pruned.
  expect(await actualRows()).toBe(backfill + 1 + 3 - 1)
  // The part-hour stored at NOW + 31 min is covered by the newer whole hour.
  const { points } = await storedIntensity(deps.store.db, 'NORTH', 'actual', NOW - 3 * HOUR, NOW + HOUR)
  expect(points.map(p => [p.start - NOW, p.end - NOW, p.gPerKwh])).toEqual([
    [-3 * HOUR, -2 * HOUR, 280], [-2 * HOUR, -HOUR, 300], [-HOUR, 0, 300], [0, HOUR, 300]
  ])
})

test('a chain zone is refreshed on its own refreshMinutes instead of the 30-minute default', async () => {
  const { deps } = t()
  deps.config = withChainZone(deps.config, 10)
  await refreshStale(deps, NOW)
  expect(await refreshIfStale(deps, 'NORTH', NOW + 9 * MINUTE)).toBe(0)
  expect(await refreshIfStale(deps, 'NORTH', NOW + 10 * MINUTE)).toBeGreaterThan(0)
  expect(await refreshIfStale(deps, 'SOUTH', NOW + 10 * MINUTE)).toBe(0)
  expect(await refreshIfStale(deps, 'SOUTH', NOW + 30 * MINUTE)).toBeGreaterThan(0)
})

test('forecasts older than planning.retentionDays are pruned by the tick; actuals after 35 days, for the model', async () => {
  const { deps } = t()
  deps.config = { ...deps.config, planning: { ...deps.config.planning, retentionDays: 7 } }
  const old = { zone: 'NORTH', gPerKwh: 1, signal: 'average' as const, source: 'grid:NORTH', fetchedAt: NOW - 40 * 24 * HOUR }
  const at = (days: number) => ({ start: NOW - days * 24 * HOUR, end: NOW - days * 24 * HOUR + HOUR })
  await insertIntensityPoints(deps.store.db, [8, 6].map(d => ({ ...old, ...at(d), kind: 'forecast' as const })))
  await insertIntensityPoints(deps.store.db, [36, 34, 8].map(d => ({ ...old, ...at(d), kind: 'actual' as const })))
  deps.providers.set('NORTH', fakeGrid('grid', 'average', () => 300))
  await refreshStale(deps, NOW)
  const kept = async (kind: 'actual' | 'forecast') => (await latestPoints(deps.store.db, 'NORTH', kind, NOW - 40 * 24 * HOUR, NOW - 5 * 24 * HOUR)).map(p => p.start)
  expect(await kept('forecast')).toEqual([at(6).start])
  expect(await kept('actual')).toEqual([at(34).start, at(8).start])
})

import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import { expect, test } from 'vitest'
import type { Pool } from '../../src/core/types.js'
import type { Deps } from '../../src/scheduler/deps.js'
import { refreshForecast } from '../../src/scheduler/forecasts.js'
import { poolViews, zoneViews } from '../../src/scheduler/plan.js'
import { forgetZones } from '../../src/scheduler/zone-cache.js'
import { insertIntensityPoints, pruneIntensityBefore } from '../../src/store/intensity.js'
import { listPools } from '../../src/store/pools.js'
import { zoneVersions } from '../../src/store/zone-versions.js'
import { HOUR, NOW, useTestApp } from '../support/app.js'
import { backendName, openSibling } from '../support/db.js'

const t = useTestApp()
const DAY = 24 * HOUR

/** Counts the statements that touch intensity_points, and the others. */
class Statements implements KyselyPlugin {
  intensity = 0
  other = 0
  transformQuery (args: PluginTransformQueryArgs): RootOperationNode {
    if (JSON.stringify(args.node).includes('"intensity_points"')) this.intensity++
    else this.other++
    return args.node
  }

  async transformResult (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

/** The test's deps with statements counted: one object, so the zone cache (per store) is shared by every call. */
function counted (): { deps: Deps, seen: Statements } {
  const seen = new Statements()
  const { deps } = t()
  return { deps: { ...deps, store: { ...deps.store, db: deps.store.db.withPlugin(seen) } }, seen }
}

async function northPools (deps: Deps): Promise<Pool[]> {
  return (await listPools(deps.store.db)).filter(p => p.zone === 'NORTH')
}

/** A forecast for NORTH fetched at `at`, `g` everywhere over the next 48 h. */
async function fetched (deps: Deps, at: number, g: number): Promise<void> {
  const rows = Array.from({ length: 48 }, (_, i) => ({
    zone: 'NORTH', start: at + i * HOUR, end: at + (i + 1) * HOUR, gPerKwh: g, kind: 'forecast' as const, signal: 'average' as const, source: 'replay:test', fetchedAt: at
  }))
  await insertIntensityPoints(deps.store.db, rows)
}

test('a second request reads no intensity: one query for the versions, the same points array as the first', async () => {
  const { deps, seen } = counted()
  await fetched(deps, NOW, 300)
  const pools = await northPools(deps)
  const first = await poolViews(deps, pools, [], NOW, NOW + 20 * HOUR, NOW)
  expect(seen.intensity).toBeGreaterThanOrEqual(3)
  seen.intensity = 0
  seen.other = 0
  const second = await poolViews(deps, pools, [], NOW + 10_000, NOW + 30 * DAY, NOW + 10_000)
  expect({ intensity: seen.intensity, other: seen.other }).toEqual({ intensity: 0, other: 1 })
  expect(second[0]!.series.points).toBe(first[0]!.series.points)
  expect(second[0]!.series.source).toBe(first[0]!.series.source)
})

test('concurrent misses build a zone once', async () => {
  const { deps, seen } = counted()
  await fetched(deps, NOW, 300)
  const pools = await northPools(deps)
  seen.intensity = 0
  await zoneViews(deps, pools, NOW, NOW + 20 * HOUR, NOW)
  const once = seen.intensity
  expect(once).toBeGreaterThanOrEqual(3)
  forgetZones(deps, ['NORTH'])
  seen.intensity = 0
  const all = await Promise.all(Array.from({ length: 5 }, async () => await zoneViews(deps, pools, NOW, NOW + 20 * HOUR, NOW)))
  expect(seen.intensity).toBe(once)
  expect(new Set(all.map(v => v.views[0]!.series.points)).size).toBe(1)
})

test('rows stored by another replica are seen once their version is asked for; a trusting caller keeps its entry until it forgets it', async () => {
  const { deps } = t()
  await fetched(deps, NOW, 300)
  const pools = await northPools(deps)
  const before = await zoneViews(deps, pools, NOW, NOW + 20 * HOUR, NOW)
  // Another process stores a newer fetch: only the database knows.
  await fetched(deps, NOW + HOUR, 50)
  const versions = await zoneVersions(deps.store.db, ['NORTH'])
  expect(BigInt(versions.get('NORTH')!)).toBeGreaterThan(BigInt(before.versions.get('NORTH')!))

  const trusted = await zoneViews(deps, pools, NOW + HOUR, NOW + 20 * HOUR, NOW + HOUR)
  expect(trusted.versions).toEqual(before.versions)
  expect(trusted.views[0]!.series.points).toBe(before.views[0]!.series.points)

  const checked = await zoneViews(deps, pools, NOW + HOUR, NOW + 20 * HOUR, NOW + HOUR, { versions })
  expect(checked.versions).toEqual(versions)
  expect(checked.views[0]!.series.points.find(p => p.start === NOW + 2 * HOUR)?.gPerKwh).toBe(50)

  const viaPoolViews = await poolViews(deps, pools, [], NOW + HOUR, NOW + 20 * HOUR, NOW + HOUR)
  expect(viaPoolViews[0]!.series.points).toBe(checked.views[0]!.series.points)
  forgetZones(deps, ['NORTH'])
  expect((await zoneViews(deps, pools, NOW + HOUR, NOW + 20 * HOUR, NOW + HOUR)).views[0]!.series.points).not.toBe(checked.views[0]!.series.points)
})

test('pruning bumps the zones that lost rows, and only those', async () => {
  const { deps } = t()
  await fetched(deps, NOW - 3 * DAY, 300)
  await insertIntensityPoints(deps.store.db, [{ zone: 'SOUTH', start: NOW, end: NOW + HOUR, gPerKwh: 80, kind: 'forecast', signal: 'average', source: 'replay:test', fetchedAt: NOW }])
  const before = await zoneVersions(deps.store.db, ['NORTH', 'SOUTH'])
  expect(await pruneIntensityBefore(deps.store.db, NOW - 2 * DAY)).toBe(24)
  const after = await zoneVersions(deps.store.db, ['NORTH', 'SOUTH'])
  expect(after.get('NORTH')).not.toBe(before.get('NORTH'))
  expect(after.get('SOUTH')).toBe(before.get('SOUTH'))
  expect(await pruneIntensityBefore(deps.store.db, NOW - 2 * DAY)).toBe(0)
  expect(await zoneVersions(deps.store.db, ['NORTH', 'SOUTH'])).toEqual(after)
})

test('the tick\'s own refresh is planned on at once, even by a caller that trusts the cache', async () => {
  const { deps } = t()
  await fetched(deps, NOW - 2 * HOUR, 999)
  const pools = await northPools(deps)
  const before = await zoneViews(deps, pools, NOW, NOW + 20 * HOUR, NOW)
  expect(before.views[0]!.series.points.find(p => p.start === NOW)?.gPerKwh).toBe(999)
  expect(await refreshForecast(deps, 'NORTH', NOW)).toBeGreaterThan(0)
  const after = await zoneViews(deps, pools, NOW, NOW + 20 * HOUR, NOW)
  expect(after.views[0]!.series.points.find(p => p.start === NOW)?.gPerKwh).not.toBe(999)
  expect(after.views[0]!.series.source).not.toBe('replay:test')
})

test.runIf(backendName() === 'postgres')('a forecast stored through a second store (another replica) is planned on by the next poolViews here', async () => {
  const { deps } = t()
  await fetched(deps, NOW, 300)
  const pools = await northPools(deps)
  const before = await poolViews(deps, pools, [], NOW, NOW + 20 * HOUR, NOW)
  const sibling = await openSibling(deps.store)
  try {
    await fetched({ ...deps, store: sibling }, NOW + HOUR, 50)
  } finally {
    await sibling.close()
  }
  const after = await poolViews(deps, pools, [], NOW + HOUR, NOW + 20 * HOUR, NOW + HOUR)
  expect(before[0]!.series.points.find(p => p.start === NOW + 2 * HOUR)?.gPerKwh).toBe(300)
  expect(after[0]!.series.points.find(p => p.start === NOW + 2 * HOUR)?.gPerKwh).toBe(50)
})

import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { insertIntensityPoints, latestPoints, newestFetch, pruneIntensityBefore } from '../../src/store/intensity.js'
import type { IntensityRow } from '../../src/store/intensity.js'
import { holdsLease, releaseLease, tryAcquireLease } from '../../src/store/leases.js'
import { expireLease } from '../support/db-time.js'
import { getPool, insertPool, listPools, seedPools, updatePool } from '../../src/store/pools.js'
import { listZones, upsertZone } from '../../src/store/zones.js'
import { backendName, useTestStore } from '../support/db.js'
import { HOUR, pool, T0 } from './fixtures.js'

describe(`pools, zones, intensity, leases (${backendName()})`, () => {
  const store = useTestStore()
  const now = new Date(T0)

  it('inserts a pool once; a second insert of the name is refused', async () => {
    expect(await insertPool(store().db, pool('a', { executor: { kind: 'webhook', url: 'https://x.test/run', secretEnv: 'HOOK_SECRET' } }), now)).toBe(true)
    expect(await insertPool(store().db, pool('a', { gpuCount: 1 }), now)).toBe(false)
    expect(await getPool(store().db, 'a')).toEqual(pool('a', { executor: { kind: 'webhook', url: 'https://x.test/run', secretEnv: 'HOOK_SECRET' } }))
    expect(await getPool(store().db, 'nope')).toBeUndefined()
  })

  it('updates some fields of a pool', async () => {
    await insertPool(store().db, pool('a'), now)
    const patch = { gpuCount: 16, enabled: false, executor: { kind: 'slurm' as const, url: 'http://s', partition: 'gpu', user: 'root', tokenEnv: 'SLURM_JWT' } }
    const updated = await updatePool(store().db, 'a', patch, new Date(T0 + HOUR))
    expect(updated).toEqual(pool('a', patch))
    expect(await getPool(store().db, 'a')).toEqual(updated)
    expect(await updatePool(store().db, 'nope', { pue: 1.1 }, now)).toBeUndefined()
  })

  it('keeps a pool\'s accounting settings: host and idle watts per GPU and its market factor, changed and cleared', async () => {
    const market = { gPerKwh: 25, instrument: 'PPA wind 2026', kind: 'contract' as const }
    await seedPools(store().db, [pool('a', { hostWattsPerGpu: 150.5, idleWattsPerGpu: 60, market })], now)
    expect(await getPool(store().db, 'a')).toEqual(pool('a', { hostWattsPerGpu: 150.5, idleWattsPerGpu: 60, market }))
    const residual = { gPerKwh: 612, instrument: 'AIB residual mix DE 2025', kind: 'residual-mix' as const }
    expect(await updatePool(store().db, 'a', { idleWattsPerGpu: 45, market: residual }, now)).toEqual(pool('a', { hostWattsPerGpu: 150.5, idleWattsPerGpu: 45, market: residual }))
    expect(await updatePool(store().db, 'a', { hostWattsPerGpu: 0, market: null }, now)).toEqual(pool('a', { idleWattsPerGpu: 45 }))
    const { rows } = await sql<{ market: unknown }>`select market from pools where name = 'a'`.execute(store().db)
    expect(rows).toEqual([{ market: null }])
  })

  it('seeds only missing pools and keeps configuration order', async () => {
    await insertPool(store().db, pool('z-first', { gpuCount: 2 }), new Date(T0 - HOUR))
    const seeded = await seedPools(store().db, [pool('z-first'), pool('b'), pool('a')], now)
    expect(seeded.sort()).toEqual(['a', 'b'])
    const pools = await listPools(store().db)
    expect(pools.map((p) => p.name)).toEqual(['z-first', 'b', 'a'])
    expect(pools[0]?.gpuCount).toBe(2)
  })

  it('upserts zones', async () => {
    await upsertZone(store().db, { name: 'NORTH', signal: 'average', providers: [{ kind: 'replay' }] }, now)
    await upsertZone(store().db, { name: 'NORTH', signal: 'marginal', providers: { kind: 'watttime' } }, new Date(T0 + 1))
    expect(await listZones(store().db)).toEqual([
      { name: 'NORTH', signal: 'marginal', providers: { kind: 'watttime' }, updatedAt: T0 + 1 }
    ])
  })

  const point = (start: number, gPerKwh: number, fetchedAt: number, over: Partial<IntensityRow> = {}): IntensityRow => ({
    zone: 'NORTH', start, end: start + HOUR, gPerKwh, kind: 'forecast', signal: 'average', source: 'replay', fetchedAt, ...over
  })

  it('dedupes intensity points and lets the newest fetch win', async () => {
    const first = [0, 1, 2, 3].map((h) => point(T0 + h * HOUR, 100 + h, T0))
    expect(await insertIntensityPoints(store().db, first)).toBe(4)
    expect(await insertIntensityPoints(store().db, first)).toBe(0)
    const second = [1, 2].map((h) => point(T0 + h * HOUR, 200 + h, T0 + 30 * 60_000))
    expect(await insertIntensityPoints(store().db, [...second, ...second])).toBe(2)
    await insertIntensityPoints(store().db, [point(T0, 999, T0 + HOUR, { kind: 'actual' }), point(T0, 999, T0 + HOUR, { zone: 'SOUTH' })])

    const got = await latestPoints(store().db, 'NORTH', 'forecast', T0 + 30 * 60_000, T0 + 3 * HOUR)
    expect(got.map((p) => [p.start - T0, p.gPerKwh, p.fetchedAt - T0])).toEqual([
      [0, 100, 0], [HOUR, 201, 1_800_000], [2 * HOUR, 202, 1_800_000]
    ])
    expect(got[0]).toMatchObject({ end: T0 + HOUR, signal: 'average', source: 'replay' })
    // Rows stored without labels read as their signal's defaults; without a version of their own, the fetch is the version.
    expect(await newestFetch(store().db, 'NORTH', 'forecast')).toEqual({
      fetchedAt: T0 + 1_800_000, horizonEnd: T0 + 3 * HOUR, signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: 'replay', version: new Date(T0 + 1_800_000).toISOString()
    })
    expect(await newestFetch(store().db, 'WEST', 'forecast')).toBeUndefined()
  })

  it('inserts large batches and prunes old points', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => point(T0 + i * HOUR, i, T0))
    expect(await insertIntensityPoints(store().db, rows)).toBe(2500)
    expect(await pruneIntensityBefore(store().db, T0 + 10 * HOUR)).toBe(10)
    expect(await latestPoints(store().db, 'NORTH', 'forecast', T0, T0 + 11 * HOUR)).toHaveLength(1)
  })

  it('acquires, renews, and takes over an expired lease, on the database\'s clock', async () => {
    const ttl = 60_000
    expect(await tryAcquireLease(store().db, 'scheduler', 'a', ttl)).toBe(true)
    expect(await tryAcquireLease(store().db, 'scheduler', 'b', ttl)).toBe(false)
    expect(await holdsLease(store().db, 'scheduler', 'a')).toBe(true)
    expect(await tryAcquireLease(store().db, 'scheduler', 'a', ttl)).toBe(true)
    await expireLease(store().db, 'scheduler')
    expect(await holdsLease(store().db, 'scheduler', 'a')).toBe(false)
    expect(await tryAcquireLease(store().db, 'scheduler', 'b', ttl)).toBe(true)
    expect(await tryAcquireLease(store().db, 'scheduler', 'a', ttl)).toBe(false)
    expect(await tryAcquireLease(store().db, 'other', 'a', ttl)).toBe(true)
    expect(await releaseLease(store().db, 'scheduler', 'a')).toBe(false)
    expect(await releaseLease(store().db, 'scheduler', 'b')).toBe(true)
    expect(await tryAcquireLease(store().db, 'scheduler', 'a', ttl)).toBe(true)
  })

  it('sets the expiry from the database\'s clock, whatever the caller\'s clock says', async () => {
    expect(await tryAcquireLease(store().db, 'scheduler', 'a', 60_000)).toBe(true)
    const { rows } = await sql<{ left: number }>`select extract(epoch from expires_at - clock_timestamp()) * 1000 as left from leases`.execute(store().db)
    expect(Number(rows[0]?.left)).toBeGreaterThan(50_000)
    expect(Number(rows[0]?.left)).toBeLessThanOrEqual(60_000)
  })
})

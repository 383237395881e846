import { describe, expect, it } from 'vitest'
import { insertIntensityPoints, latestPoints, newestFetch, storedIntensity, type IntensityRow } from '../../src/store/intensity.js'
import { toSeries } from '../../src/scheduler/forecasts.js'
import { backendName, useTestStore } from '../support/db.js'
import { HOUR, T0 } from './fixtures.js'

const iso = (t: number): string => new Date(t).toISOString()

/** Hourly rows of one fetch at `fetchedAt` over hours [from, to) after T0. */
function fetch (from: number, to: number, fetchedAt: number, over: Partial<IntensityRow>): IntensityRow[] {
  return Array.from({ length: to - from }, (_, i) => ({
    zone: 'GB', start: T0 + (from + i) * HOUR, end: T0 + (from + i + 1) * HOUR, gPerKwh: 100 + from + i, kind: 'forecast', signal: 'average', source: 'x', fetchedAt, ...over
  }))
}

describe(`intensity labels (${backendName()})`, () => {
  const store = useTestStore()

  it('keeps gas, factor type and version per point through the store', async () => {
    await insertIntensityPoints(store().db, fetch(0, 2, T0, { signal: 'marginal', gas: 'co2', factorType: 'marginal', source: 'watttime:CAISO_NORTH:co2_moer' }))
    await insertIntensityPoints(store().db, fetch(0, 2, T0, { zone: 'LAB', gas: 'co2', factorType: 'direct', source: 'csv:lab.csv', version: 'sha256:0123456789abcdef' }))
    expect((await latestPoints(store().db, 'GB', 'forecast', T0, T0 + 2 * HOUR))[0]).toMatchObject({ signal: 'marginal', gas: 'co2', factorType: 'marginal', version: null })
    expect((await latestPoints(store().db, 'LAB', 'forecast', T0, T0 + 2 * HOUR))[0]).toMatchObject({ gas: 'co2', factorType: 'direct', version: 'sha256:0123456789abcdef' })
    expect(await newestFetch(store().db, 'GB', 'forecast')).toMatchObject({ signal: 'marginal', gas: 'co2', factorType: 'marginal', version: iso(T0) })
    expect(await newestFetch(store().db, 'LAB', 'forecast')).toMatchObject({ gas: 'co2', factorType: 'direct', version: 'sha256:0123456789abcdef' })
    const lab = await storedIntensity(store().db, 'LAB', 'forecast', T0, T0 + 2 * HOUR)
    expect(toSeries('LAB', lab, 'average', 'none')).toMatchObject({ signal: 'average', gas: 'co2', factorType: 'direct', source: 'csv:lab.csv', version: 'sha256:0123456789abcdef' })
  })

  it('reads a row stored without labels as the defaults of its signal', async () => {
    await insertIntensityPoints(store().db, fetch(0, 1, T0, {}))
    await insertIntensityPoints(store().db, fetch(0, 1, T0, { zone: 'US', signal: 'marginal' }))
    expect((await latestPoints(store().db, 'GB', 'forecast', T0, T0 + HOUR))[0]).toMatchObject({ gas: 'co2e', factorType: 'lifecycle' })
    expect((await latestPoints(store().db, 'US', 'forecast', T0, T0 + HOUR))[0]).toMatchObject({ gas: 'co2', factorType: 'marginal' })
    // A null column matches the default it stands for, and nothing else.
    expect(await latestPoints(store().db, 'GB', 'forecast', T0, T0 + HOUR, { signal: 'average', gas: 'co2e', factorType: 'lifecycle' })).toHaveLength(1)
    expect(await latestPoints(store().db, 'GB', 'forecast', T0, T0 + HOUR, { signal: 'average', gas: 'co2', factorType: 'lifecycle' })).toHaveLength(0)
  })

  it('never mixes CO2 and CO2e in one series: the newest fetch\'s labels are read, the others left out', async () => {
    // Electricity Maps (co2e, lifecycle) answered first for hours 0-4, then the UK API (co2, direct, same average signal) for hours 2-4.
    await insertIntensityPoints(store().db, fetch(0, 4, T0, { gas: 'co2e', factorType: 'lifecycle', source: 'electricitymaps:GB:lifecycle' }))
    await insertIntensityPoints(store().db, fetch(2, 4, T0 + HOUR, { gas: 'co2', factorType: 'direct', source: 'carbonintensity-uk:national', gPerKwh: 50 }))
    const newest = await storedIntensity(store().db, 'GB', 'forecast', T0, T0 + 4 * HOUR, 'average')
    expect(newest.labels).toEqual({ signal: 'average', gas: 'co2', factorType: 'direct' })
    expect(newest.sources).toEqual(['carbonintensity-uk:national'])
    expect(newest.points.map(p => [(p.start - T0) / HOUR, p.gPerKwh])).toEqual([[2, 50], [3, 50]])
    expect(newest.version).toBe(iso(T0 + HOUR))
    // Asked for co2e, the older fetch is read whole: the newer co2 rows do not hide it.
    const co2e = await storedIntensity(store().db, 'GB', 'forecast', T0, T0 + 4 * HOUR, { signal: 'average', gas: 'co2e', factorType: 'lifecycle' })
    expect(co2e.points.map(p => p.gPerKwh)).toEqual([100, 101, 102, 103])
    expect(toSeries('GB', co2e, 'average', 'none')).toMatchObject({ gas: 'co2e', factorType: 'lifecycle', source: 'electricitymaps:GB:lifecycle', version: iso(T0) })
  })

  it('names every file version a series rests on, and the newest fetch of an API', async () => {
    await insertIntensityPoints(store().db, fetch(0, 3, T0, { source: 'csv:lab.csv', version: 'sha256:aaaaaaaaaaaaaaaa' }))
    await insertIntensityPoints(store().db, fetch(1, 3, T0 + HOUR, { source: 'csv:lab.csv', version: 'sha256:bbbbbbbbbbbbbbbb' }))
    expect((await storedIntensity(store().db, 'GB', 'forecast', T0, T0 + 3 * HOUR)).version).toBe('sha256:aaaaaaaaaaaaaaaa+sha256:bbbbbbbbbbbbbbbb')
    expect((await storedIntensity(store().db, 'GB', 'forecast', T0 + HOUR, T0 + 3 * HOUR)).version).toBe('sha256:bbbbbbbbbbbbbbbb')
    await insertIntensityPoints(store().db, fetch(0, 2, T0, { zone: 'DE' }))
    await insertIntensityPoints(store().db, fetch(1, 2, T0 + 2 * HOUR, { zone: 'DE' }))
    expect((await storedIntensity(store().db, 'DE', 'forecast', T0, T0 + 2 * HOUR)).version).toBe(iso(T0 + 2 * HOUR))
  })
})

import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { insertIntensityPoints, pruneIntensityBefore, type IntensityRow } from '../../src/store/intensity.js'
import { zoneVersions } from '../../src/store/zone-versions.js'
import { useTestStore } from '../support/db.js'

const store = useTestStore()
const T0 = Date.UTC(2026, 0, 5)
const HOUR = 3_600_000

const row = (zone: string, start: number): IntensityRow =>
  ({ zone, start, end: start + HOUR, gPerKwh: 100, kind: 'forecast', signal: 'average', source: 'replay', fetchedAt: T0 })

test('a zone never stored is at version 0; an insert bumps the zones it added rows to, a retried one nothing', async () => {
  const db = store().db
  expect(await zoneVersions(db, ['NORTH', 'WEST'])).toEqual(new Map([['NORTH', '0'], ['WEST', '0']]))
  expect(await insertIntensityPoints(db, [row('NORTH', T0), row('NORTH', T0 + HOUR)])).toBe(2)
  const first = await zoneVersions(db, ['NORTH', 'WEST'])
  expect(first.get('NORTH')).not.toBe('0')
  expect(first.get('WEST')).toBe('0')
  expect(await insertIntensityPoints(db, [row('NORTH', T0)])).toBe(0)
  expect(await zoneVersions(db, ['NORTH', 'WEST'])).toEqual(first)
  expect(await insertIntensityPoints(db, [row('NORTH', T0 + 2 * HOUR), row('WEST', T0)])).toBe(2)
  const second = await zoneVersions(db, ['NORTH', 'WEST'])
  expect(BigInt(second.get('NORTH')!)).toBeGreaterThan(BigInt(first.get('NORTH')!))
  expect(second.get('WEST')).not.toBe('0')
})

test('pruning bumps the zones it deleted rows of', async () => {
  const db = store().db
  await insertIntensityPoints(db, [row('NORTH', T0), row('WEST', T0 + 5 * HOUR)])
  const before = await zoneVersions(db, ['NORTH', 'WEST'])
  expect(await pruneIntensityBefore(db, T0 + 2 * HOUR)).toBe(1)
  const after = await zoneVersions(db, ['NORTH', 'WEST'])
  expect(after.get('NORTH')).not.toBe(before.get('NORTH'))
  expect(after.get('WEST')).toBe(before.get('WEST'))
})

test('versions never repeat, even across `truncate … restart identity`', async () => {
  const db = store().db
  await insertIntensityPoints(db, [row('NORTH', T0)])
  const before = (await zoneVersions(db, ['NORTH'])).get('NORTH')!
  await sql`truncate intensity_points, zone_versions restart identity`.execute(db)
  expect((await zoneVersions(db, ['NORTH'])).get('NORTH')).toBe('0')
  await insertIntensityPoints(db, [row('NORTH', T0)])
  expect(BigInt((await zoneVersions(db, ['NORTH'])).get('NORTH')!)).toBeGreaterThan(BigInt(before))
})

import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import type { Instant } from '../../src/core/types.js'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { listEvents } from '../../src/store/events.js'
import { insertIntensityPoints } from '../../src/store/intensity.js'
import { getLedger } from '../../src/store/ledger.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { runPlannedJob, withoutActuals } from '../support/ledger.js'

const t = useTestApp()
const MINUTE = 60_000
/** The fixture zone's csv source with its version, the content hash of the file: `csv:north.csv@sha256:<16 hex>`. */
const NORTH_CSV = `csv:north.csv@sha256:${createHash('sha256').update(readFileSync(new URL('../fixtures/api/north.csv', import.meta.url))).digest('hex').slice(0, 16)}`

/** Submits the 2-GPU, 2-hour NORTH job (planned 18:00–20:00 at 100 g/kWh; baseline 10:00 at 300). */
async function submit (name = 'finetune'): Promise<string> {
  const res = await t().app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: t().auth(t().keys.a),
    payload: { name, command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), preferredPool: 'gpu-north' }
  })
  expect(res.statusCode).toBe(201)
  return res.json().id
}

/** NORTH actuals as a later fetch stores them: one point per hour start, source `replay:test`. */
async function actuals (byHour: Array<[Instant, number]>, fetchedAt: Instant): Promise<void> {
  await insertIntensityPoints(t().deps.store.db, byHour.map(([start, gPerKwh]) => ({
    zone: 'NORTH', start, end: start + HOUR, gPerKwh, kind: 'actual' as const, signal: 'average' as const, source: 'replay:test', fetchedAt
  })))
}

test('a finished job\'s ledger is provisional on the forecast until actual points arrive, then final', async () => {
  const id = await submit()
  await runPlannedJob(t().deps, id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR })
  const deps = withoutActuals(t().deps)
  let now = NOW + 10 * HOUR + 5 * MINUTE

  // No actuals anywhere: both figures on the stored forecast. 2 × 400 W = 0.8 kW for 2 h = 1.6 kWh;
  // 1.6 kWh × 100 g/kWh = 160 g run, × 300 g/kWh = 480 g at once.
  expect(await refreshLedgers(deps, now)).toEqual({ computed: 1, final: 0, skipped: 0, failed: 0 })
  let ledger = await getLedger(deps.store.db, id)
  expect(ledger).toMatchObject({
    energyKwh: expect.closeTo(1.6, 9),
    energyMethod: 'estimated',
    provisional: true,
    actual: { grams: expect.closeTo(160, 6), source: `forecast:${NORTH_CSV}`, provisional: true, pool: 'gpu-north', start: NOW + 8 * HOUR, end: NOW + 10 * HOUR },
    baseline: { grams: expect.closeTo(480, 6), source: `forecast:${NORTH_CSV}`, provisional: true, pool: 'gpu-north', start: NOW },
    avoidedGrams: expect.closeTo(320, 6)
  })

  // Within 30 min a provisional ledger is left alone.
  expect(await refreshLedgers(deps, now + 10 * MINUTE)).toMatchObject({ computed: 0 })

  // The baseline hours and the run's first hour are published: the second hour is still forecast.
  const published = now + 20 * MINUTE
  await actuals([[NOW, 330], [NOW + HOUR, 290], [NOW + 8 * HOUR, 110]], published)
  now += 31 * MINUTE
  expect(await refreshLedgers(deps, now)).toEqual({ computed: 1, final: 0, skipped: 0, failed: 0 })
  ledger = await getLedger(deps.store.db, id)
  expect(ledger?.actual).toMatchObject({ grams: expect.closeTo(0.8 * (110 + 100), 6), source: `actual:replay:test@${iso(published)} + forecast:${NORTH_CSV}`, provisional: true })
  expect(ledger?.baseline).toMatchObject({ grams: expect.closeTo(0.8 * (330 + 290), 6), source: `actual:replay:test@${iso(published)}`, provisional: false })

  // The last hour arrives: final. 0.8 kW × (110 + 130) = 192 g; at once 496 g; avoided 304 g.
  await actuals([[NOW + 9 * HOUR, 130]], now + 5 * MINUTE)
  now += 31 * MINUTE
  expect(await refreshLedgers(deps, now)).toEqual({ computed: 1, final: 1, skipped: 0, failed: 0 })
  ledger = await getLedger(deps.store.db, id)
  expect(ledger).toMatchObject({ provisional: false, actual: { grams: expect.closeTo(192, 6), provisional: false }, baseline: { grams: expect.closeTo(496, 6) }, avoidedGrams: expect.closeTo(304, 6), computedAt: now })

  // A final ledger is never recomputed; its history says when it was first made and when it became final.
  expect(await refreshLedgers(deps, now + 2 * HOUR)).toMatchObject({ computed: 0 })
  const events = (await listEvents(deps.store.db, id)).filter(e => e.type === 'ledger')
  expect(events.map(e => e.reason.split(':')[0])).toEqual(['provisional ledger', 'final ledger'])
  expect(events[1]?.reason).toContain('avoided 304.0 g')
})

test('measured energy prices both sides; the provider is asked when stored actuals do not cover', async () => {
  const id = await submit()
  await runPlannedJob(t().deps, id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR, energyKwh: 3 })
  // The fixture CSV answers actuals for any hour it holds: final at once.
  expect(await refreshLedgers(t().deps, NOW + 11 * HOUR)).toEqual({ computed: 1, final: 1, skipped: 0, failed: 0 })
  expect(await getLedger(t().deps.store.db, id)).toMatchObject({
    energyMethod: 'measured',
    actual: { grams: expect.closeTo(300, 6), method: 'measured', source: `actual:${NORTH_CSV}` },
    baseline: { grams: expect.closeTo(900, 6), method: 'measured' },
    avoidedGrams: expect.closeTo(600, 6)
  })
})

test('a job that cannot be priced is skipped and the others are still computed', async () => {
  const lost = await submit('baseline pool gone')
  const fine = await submit('fine')
  for (const id of [lost, fine]) await runPlannedJob(t().deps, id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR })
  const db = t().deps.store.db
  const { plan } = await db.selectFrom('jobs').select('plan').where('id', '=', lost).executeTakeFirstOrThrow()
  if (plan === null) throw new Error('planned job without a plan')
  await db.updateTable('jobs').set({ plan: JSON.stringify({ ...plan, baseline: { ...plan.baseline, pool: 'gone', model: undefined } }) }).where('id', '=', lost).execute()
  expect(await refreshLedgers(t().deps, NOW + 11 * HOUR)).toEqual({ computed: 1, final: 1, skipped: 1, failed: 0 })
  expect(await getLedger(db, lost)).toBeNull()
  expect(await getLedger(db, fine)).not.toBeNull()
})

test('a ledger that cannot be computed backs off: 10 min, then 20, instead of every tick', async () => {
  const id = await submit('baseline pool gone')
  await runPlannedJob(t().deps, id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR })
  const db = t().deps.store.db
  const { plan } = await db.selectFrom('jobs').select('plan').where('id', '=', id).executeTakeFirstOrThrow()
  if (plan === null) throw new Error('planned job without a plan')
  await db.updateTable('jobs').set({ plan: JSON.stringify({ ...plan, baseline: { ...plan.baseline, pool: 'gone', model: undefined } }) }).where('id', '=', id).execute()
  const at = NOW + 11 * HOUR
  expect(await refreshLedgers(t().deps, at)).toMatchObject({ skipped: 1 })
  expect(await refreshLedgers(t().deps, at + 5 * MINUTE)).toMatchObject({ skipped: 0 })
  expect(await refreshLedgers(t().deps, at + 10 * MINUTE)).toMatchObject({ skipped: 1 })
  expect(await refreshLedgers(t().deps, at + 29 * MINUTE)).toMatchObject({ skipped: 0 })
  expect(await refreshLedgers(t().deps, at + 30 * MINUTE)).toMatchObject({ skipped: 1 })
  const row = await db.selectFrom('jobs').select(['ledger_tries', 'ledger_retry_at']).where('id', '=', id).executeTakeFirstOrThrow()
  expect(row).toMatchObject({ ledger_tries: 3, ledger_retry_at: new Date(at + 70 * MINUTE) })
})

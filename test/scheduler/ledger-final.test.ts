import { expect, test } from 'vitest'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { restateLedger } from '../../src/scheduler/ledger-restate.js'
import { listEvents } from '../../src/store/events.js'
import { getLedger } from '../../src/store/ledger.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { runPlannedJob, withoutActuals } from '../support/ledger.js'

// A ledger never changes by itself once its job ran: a pool edited afterwards changes nothing, a
// provisional ledger whose actuals never came is settled as it stands, and a correction is an
// operator's explicit restatement with a reason and an event.

const t = useTestApp()
const MINUTE = 60_000
const DAY = 24 * HOUR

/** The 2-GPU, 2-hour NORTH job, run 18:00–20:00 with estimated energy: 2 × 400 W × 2 h = 1.6 kWh. */
async function ranJob (): Promise<string> {
  const res = await t().app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name: 'finetune', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), preferredPool: 'gpu-north' }
  })
  expect(res.statusCode).toBe(201)
  const id: string = res.json().id
  await runPlannedJob(t().deps, id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR })
  return id
}

async function patchPool (wattsPerGpu: number): Promise<void> {
  const res = await t().app.inject({ method: 'PATCH', url: '/v1/pools/gpu-north', headers: t().auth(t().keys.operator), payload: { wattsPerGpu } })
  expect(res.statusCode).toBe(200)
}

test('a pool edited after its job ran changes none of the job\'s figures, even while its ledger is still provisional', async () => {
  const id = await ranJob()
  const deps = withoutActuals(t().deps)
  const end = NOW + 10 * HOUR
  await refreshLedgers(deps, end + 5 * MINUTE)
  const before = await getLedger(deps.store.db, id)
  expect(before).toMatchObject({ provisional: true, energyKwh: expect.closeTo(1.6, 9) })
  // 22 minutes after the run: the pool's power model doubles.
  await patchPool(800)
  expect(await refreshLedgers(deps, end + 40 * MINUTE)).toMatchObject({ computed: 1 })
  const after = await getLedger(deps.store.db, id)
  expect(after?.computedAt).toBe(end + 40 * MINUTE)
  expect(after).toMatchObject({ energyKwh: before?.energyKwh, actual: { grams: before?.actual.grams }, baseline: { grams: before?.baseline.grams } })
})

test('a provisional ledger whose actuals are past retention is settled: final, unverified, with an event, and never recomputed', async () => {
  const id = await ranJob()
  const deps = withoutActuals(t().deps)
  const end = NOW + 10 * HOUR
  await refreshLedgers(deps, end + 5 * MINUTE)
  const provisional = await getLedger(deps.store.db, id)
  const retention = t().deps.config.planning.retentionDays * DAY
  expect(await refreshLedgers(deps, end + retention + HOUR)).toMatchObject({ final: 1 })
  const settled = await getLedger(deps.store.db, id)
  expect(settled).toMatchObject({ provisional: false, verified: false, energyKwh: provisional?.energyKwh, actual: { grams: provisional?.actual.grams } })
  const events = (await listEvents(deps.store.db, id)).filter(e => e.type === 'ledger')
  expect(events.at(-1)?.reason).toMatch(/^settled unverified/)
  // Final now: later passes leave it alone, actuals or not.
  expect(await refreshLedgers(t().deps, end + retention + 2 * HOUR)).toEqual({ computed: 0, final: 0, skipped: 0, failed: 0 })
  expect(await getLedger(deps.store.db, id)).toEqual(settled)
})

test('an operator restates a ledger with a reason: recomputed with the pools as they are, the old and new figures in an event', async () => {
  const id = await ranJob()
  t().clock.now = NOW + 11 * HOUR
  await refreshLedgers(t().deps, t().clock.now)
  const final = await getLedger(t().deps.store.db, id)
  expect(final).toMatchObject({ provisional: false, verified: true, energyKwh: expect.closeTo(1.6, 9) })
  await patchPool(800)
  const restate = async (key: string, payload: Record<string, unknown>, job = id) => await t().app.inject({ method: 'POST', url: `/v1/jobs/${job}/ledger/restate`, headers: t().auth(key), payload })

  expect((await restate(t().keys.a, { reason: 'metered power was wrong' })).statusCode).toBe(403)
  expect((await restate(t().keys.operator, {})).json()).toMatchObject({ status: 400 })
  expect((await restate(t().keys.operator, { reason: 'check' }, '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404)
  const res = await restate(t().keys.operator, { reason: 'wattsPerGpu was 400, the cards draw 800' })
  expect(res.statusCode).toBe(200)
  expect(res.json()).toMatchObject({ energyKwh: 3.2, restated: { reason: 'wattsPerGpu was 400, the cards draw 800', at: iso(NOW + 11 * HOUR) } })

  const restated = (await listEvents(t().deps.store.db, id)).filter(e => e.type === 'ledger-restated')
  expect(restated).toHaveLength(1)
  expect(restated[0]?.data).toMatchObject({ reason: 'wattsPerGpu was 400, the cards draw 800', old: { energyKwh: expect.closeTo(1.6, 9) }, new: { energyKwh: expect.closeTo(3.2, 9) } })
  const job = await t().app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: t().auth(t().keys.a) })
  expect(job.json().ledger).toMatchObject({ energyKwh: 3.2, restated: { reason: 'wattsPerGpu was 400, the cards draw 800' } })
  expect(job.json().events.map((e: { type: string }) => e.type)).toContain('ledger-restated')
})

test('a job with no finished run has nothing to restate: 409', async () => {
  const res = await t().app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name: 'waiting', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR) }
  })
  const restate = await t().app.inject({ method: 'POST', url: `/v1/jobs/${res.json().id as string}/ledger/restate`, headers: t().auth(t().keys.operator), payload: { reason: 'check' } })
  expect(restate.statusCode).toBe(409)
  expect(restate.json()).toMatchObject({ type: expect.stringContaining('no-ledger') })
})

test('a restated provisional ledger stays restated as actuals arrive: later recomputes keep the pools it adopted and its mark', async () => {
  const id = await ranJob()
  const deps = withoutActuals(t().deps)
  const end = NOW + 10 * HOUR
  await refreshLedgers(deps, end + 5 * MINUTE)
  await patchPool(800)
  expect(await restateLedger(deps, id, 'the cards draw 800 W', end + 10 * MINUTE)).toMatchObject({ provisional: true, energyKwh: expect.closeTo(3.2, 9) })
  expect(await refreshLedgers(deps, end + 50 * MINUTE)).toMatchObject({ computed: 1 })
  expect(await getLedger(deps.store.db, id)).toMatchObject({ energyKwh: expect.closeTo(3.2, 9), computedAt: end + 50 * MINUTE, restated: { reason: 'the cards draw 800 W' } })
})

import { expect, test } from 'vitest'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { tick } from '../../src/scheduler/tick.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

// Carbon accounting as a client and an agent see it, over the fixture zones: NORTH is 300 g/kWh
// except 18:00–22:00 (100 g/kWh); SOUTH is 200 g/kWh throughout. Both pools have PUE 1.

const t = useTestApp()
const MIN = 60_000

const agent = (token: string) => ({ authorization: `Bearer ${token}` })

async function submit (payload: Record<string, unknown>) {
  return await t().app.inject({ method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a), payload })
}

async function token (pool: string): Promise<string> {
  const res = await t().app.inject({ method: 'POST', url: `/v1/pools/${pool}/tokens`, headers: t().auth(t().keys.operator), payload: { name: 'rack-1' } })
  return res.json().token
}

/** Claims the job's next attempt as an agent of gpu-north and reports how it ended. */
async function runAttempt (tok: string, id: string, attempt: number, report: { start: number, end: number, energyKwh: number, requeue?: boolean }): Promise<string> {
  const claimed = await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(tok), payload: { agent: 'host-1' } })
  expect(claimed.json()).toMatchObject({ job: { id, attempt } })
  t().clock.now = report.end
  const done = await t().app.inject({
    method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent(tok),
    payload: {
      attempt, claim: claimed.json().claim, exitCode: report.requeue === true ? 143 : 0, startedAt: iso(report.start), finishedAt: iso(report.end),
      energyKwh: report.energyKwh, ...(report.requeue === true ? { requeue: true, detail: 'node drained' } : {})
    }
  })
  expect(done.statusCode).toBe(200)
  return done.json().state
}

async function ledgerOf (id: string) {
  return (await t().app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: t().auth(t().keys.a) })).json().ledger
}

test('every attempt counts: a requeued attempt\'s 0.05 kWh and the second\'s 0.02 kWh are both booked, each on its own interval', async () => {
  const res = await submit({ name: 'train', gpus: 2, durationMinutes: 60, deadline: iso(NOW + 80 * MIN), pools: ['gpu-north'], command: ['train'] })
  const id: string = res.json().id
  await tick(t().deps, 'test', NOW, MIN)
  const tok = await token('gpu-north')
  expect(await runAttempt(tok, id, 1, { start: NOW, end: NOW + 3.4 * MIN, energyKwh: 0.05, requeue: true })).toBe('pending')
  t().clock.now = NOW + 4 * MIN
  expect(await tick(t().deps, 'test', NOW + 4 * MIN, MIN)).toMatchObject({ planned: 1, dispatched: 1 })
  expect(await runAttempt(tok, id, 2, { start: NOW + 4 * MIN, end: NOW + 64 * MIN, energyKwh: 0.02 })).toBe('succeeded')
  await refreshLedgers(t().deps, NOW + 65 * MIN)

  const ledger = await ledgerOf(id)
  expect(ledger.attempts).toEqual([
    expect.objectContaining({ attempt: 1, outcome: 'lost', start: iso(NOW), end: iso(NOW + 3.4 * MIN), energyKwh: 0.05, energyMethod: 'measured', grams: 15 }),
    expect.objectContaining({ attempt: 2, outcome: 'succeeded', start: iso(NOW + 4 * MIN), end: iso(NOW + 64 * MIN), energyKwh: 0.02, energyMethod: 'measured', grams: 6 })
  ])
  expect(ledger).toMatchObject({ energyKwh: 0.07, actual: { grams: 21 } })
  // The baseline is the job at once (10:00) on gpu-north with the useful attempt's energy: 0.02 kWh × 300;
  // the wasted attempt is charged against avoided.
  expect(ledger.baseline).toMatchObject({ grams: 6, start: iso(NOW), rule: 'config-order', pool: 'gpu-north' })
  expect(ledger.avoidedGrams).toBe(-15)
})

test('a job planned to start at once avoids exactly 0, even when it starts 21.6 s late across a 300 → 100 g/kWh step', async () => {
  // Its window is exactly 17:00–18:00: the plan can only start it at once, on its baseline pool.
  const res = await submit({ name: 'now', gpus: 2, durationMinutes: 60, notBefore: iso(NOW + 7 * HOUR), deadline: iso(NOW + 8 * HOUR), pools: ['gpu-north'], command: ['x'] })
  expect(res.statusCode).toBe(201)
  const id: string = res.json().id
  expect(res.json().plan).toMatchObject({ segments: [{ start: iso(NOW + 7 * HOUR) }], expectedAvoided: { grams: 0 } })
  t().clock.now = NOW + 7 * HOUR
  await tick(t().deps, 'test', NOW + 7 * HOUR, MIN)
  const late = NOW + 7 * HOUR + 21_600
  t().clock.now = late
  expect(await runAttempt(await token('gpu-north'), id, 1, { start: late, end: late + HOUR, energyKwh: 0.8 })).toBe('succeeded')
  await refreshLedgers(t().deps, late + HOUR + MIN)
  const ledger = await ledgerOf(id)
  expect(ledger.avoidedGrams).toBe(0)
  expect(ledger.baseline).toMatchObject({ start: iso(late), grams: ledger.actual.grams })
})

test('a preferredPool that cannot hold the job is a 422 naming the field, and nothing is stored', async () => {
  const res = await submit({ name: 'big', command: ['train'], gpus: 6, durationMinutes: 60, deadline: iso(NOW + 10 * HOUR), preferredPool: 'gpu-south' })
  expect(res.statusCode).toBe(422)
  expect(res.json()).toMatchObject({ errors: [{ field: 'preferredPool', message: expect.stringContaining('4 GPUs') }] })
  const list = await t().app.inject({ method: 'GET', url: '/v1/jobs', headers: t().auth(t().keys.a) })
  expect(list.json().jobs).toEqual([])
})

test('every baseline states its rule: preferred, else config-order (the first pool that could run the job)', async () => {
  const preferred = await submit({ name: 'p', command: ['train'], gpus: 2, durationMinutes: 60, deadline: iso(NOW + 10 * HOUR), preferredPool: 'gpu-south' })
  expect(preferred.json().plan.baseline).toMatchObject({ pool: 'gpu-south', rule: 'preferred' })
  // gpu-north (8 GPUs) comes first in the configuration; a 6-GPU job's config-order baseline is gpu-north,
  // and with pools in another order too.
  const ordered = await submit({ name: 'c', command: ['train'], gpus: 2, durationMinutes: 60, deadline: iso(NOW + 10 * HOUR) })
  expect(ordered.json().plan.baseline).toMatchObject({ pool: 'gpu-north', rule: 'config-order' })
  const big = await submit({ name: 'b', command: ['train'], gpus: 6, durationMinutes: 60, deadline: iso(NOW + 10 * HOUR), pools: ['gpu-south', 'gpu-north'] })
  expect(big.json().plan.baseline).toMatchObject({ pool: 'gpu-north', rule: 'config-order' })
})

test('a tenant\'s homePool is the baseline of its jobs without a preferredPool (rule home), when it can hold them; quotes say the same', async () => {
  const patch = await t().app.inject({ method: 'PATCH', url: '/v1/tenants/a', headers: t().auth(t().keys.operator), payload: { homePool: 'gpu-south' } })
  expect(patch.statusCode).toBe(200)
  const job = { name: 'h', command: ['train'], gpus: 2, durationMinutes: 60, deadline: iso(NOW + 10 * HOUR) }
  expect((await submit(job)).json().plan.baseline).toMatchObject({ pool: 'gpu-south', rule: 'home' })
  const quote = await t().app.inject({ method: 'POST', url: '/v1/quotes', headers: t().auth(t().keys.a), payload: job })
  expect(quote.json().plan.baseline).toMatchObject({ pool: 'gpu-south', rule: 'home' })
  // The job's own preferredPool comes first; a home pool too small for the job, or not allowed, is passed over.
  expect((await submit({ ...job, preferredPool: 'gpu-north' })).json().plan.baseline).toMatchObject({ pool: 'gpu-north', rule: 'preferred' })
  expect((await submit({ ...job, gpus: 6 })).json().plan.baseline).toMatchObject({ pool: 'gpu-north', rule: 'config-order' })
  expect((await submit({ ...job, pools: ['gpu-north'] })).json().plan.baseline).toMatchObject({ pool: 'gpu-north', rule: 'config-order' })
  // Tenant b has no home pool.
  const other = await t().app.inject({ method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.b), payload: job })
  expect(other.json().plan.baseline).toMatchObject({ pool: 'gpu-north', rule: 'config-order' })
})

test('a job cancelled after a lost attempt, before it ran again, still books what that attempt drew', async () => {
  const res = await submit({ name: 'gave-up', gpus: 2, durationMinutes: 60, deadline: iso(NOW + 80 * MIN), pools: ['gpu-north'], command: ['train'] })
  const id: string = res.json().id
  await tick(t().deps, 'test', NOW, MIN)
  expect(await runAttempt(await token('gpu-north'), id, 1, { start: NOW, end: NOW + 12 * MIN, energyKwh: 0.05, requeue: true })).toBe('pending')
  const cancelled = await t().app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: t().auth(t().keys.a) })
  expect(cancelled.json()).toMatchObject({ state: 'cancelled' })
  await refreshLedgers(t().deps, NOW + 13 * MIN)
  const ledger = await ledgerOf(id)
  expect(ledger).toMatchObject({ energyKwh: 0.05, actual: { grams: 15 }, attempts: [{ attempt: 1, outcome: 'lost', energyKwh: 0.05 }] })
})

test('a job planned again after a lost attempt keeps its first plan\'s baseline: the time lost is not avoided', async () => {
  // notBefore 17:00: planned 18:00–19:00 at 100 g/kWh; its baseline is 17:00 at 300 g/kWh.
  const res = await submit({ name: 'again', gpus: 2, durationMinutes: 60, deadline: iso(NOW + 12 * HOUR), pools: ['gpu-north'], command: ['train'], notBefore: iso(NOW + 7 * HOUR) })
  const id: string = res.json().id
  const first = res.json().plan.baseline
  expect(first).toMatchObject({ pool: 'gpu-north', start: iso(NOW + 7 * HOUR) })
  expect(res.json().plan.segments[0].start).toBe(iso(NOW + 8 * HOUR))
  t().clock.now = NOW + 8 * HOUR
  await tick(t().deps, 'test', t().clock.now, MIN)
  expect(await runAttempt(await token('gpu-north'), id, 1, { start: NOW + 8 * HOUR, end: NOW + 8 * HOUR + 10 * MIN, energyKwh: 0.1, requeue: true })).toBe('pending')
  await tick(t().deps, 'test', t().clock.now, MIN)
  const job = (await t().app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: t().auth(t().keys.a) })).json()
  expect(job.state).not.toBe('pending')
  // Planned again from 18:10, still at 100 g/kWh: the baseline stays 17:00 at 300 g/kWh, as first planned.
  expect(job.plan.baseline).toEqual(first)
  expect(job.plan.expectedAvoided.grams).toBeCloseTo(first.grams - job.plan.expected.grams, 1)
})

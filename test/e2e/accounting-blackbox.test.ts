import { expect, test } from 'vitest'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { tick } from '../../src/scheduler/tick.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

// The black-box check, through the API only (and the scheduler's tick): a csv zone at a
// constant 82.5 g/kWh (test/fixtures/accounting), pools of PUE 1 without host power, so a
// 0.694 kWh job books 57.3 g, the seed material's LoRA fine-tune.

const t = useTestApp({}, '../fixtures/accounting/config.json')
const MIN = 60_000

const as = (key: string) => ({ headers: t().auth(key) })
const agent = (token: string) => ({ authorization: `Bearer ${token}` })

async function submit (payload: Record<string, unknown>) {
  return await t().app.inject({ method: 'POST', url: '/v1/jobs', ...as(t().keys.a), payload: { command: ['python', 'finetune.py'], ...payload } })
}

async function tokenFor (pool: string): Promise<string> {
  return (await t().app.inject({ method: 'POST', url: `/v1/pools/${pool}/tokens`, ...as(t().keys.operator), payload: { name: 'node-1' } })).json().token
}

/** One attempt as an agent of `pool` would run it: claim now, report at `end`. */
async function attempt (pool: string, id: string, n: number, end: number, energyKwh: number | null, requeue = false): Promise<string> {
  const tok = await tokenFor(pool)
  const start = t().clock.now
  const claimed = await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(tok), payload: { agent: 'node-1' } })
  expect(claimed.json()).toMatchObject({ job: { id, attempt: n } })
  t().clock.now = end
  const done = await t().app.inject({
    method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent(tok),
    payload: { attempt: n, claim: claimed.json().claim, exitCode: requeue ? 143 : 0, startedAt: iso(start), finishedAt: iso(end), energyKwh, ...(requeue ? { requeue: true } : {}) }
  })
  return done.json().state
}

async function ledger (id: string) {
  return (await t().app.inject({ method: 'GET', url: `/v1/jobs/${id}`, ...as(t().keys.a) })).json().ledger
}

/** Submits a 1-GPU, 4-hour job on `pool` and runs it at once, measured at `kwh`. */
async function ranJob (pool: string, kwh: number | null, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await submit({ name: 'lora-7b', gpus: 1, durationMinutes: 240, deadline: iso(t().clock.now + 6 * HOUR), pools: [pool], ...extra })
  expect(res.statusCode).toBe(201)
  const id: string = res.json().id
  await tick(t().deps, 'test', t().clock.now, MIN)
  expect(await attempt(pool, id, 1, t().clock.now + 4 * HOUR, kwh)).toBe('succeeded')
  await refreshLedgers(t().deps, t().clock.now + MIN)
  return id
}

test('a 0.694 kWh job books 57.3 g at 82.5 g/kWh: planned (its energyKwh) and measured (an agent\'s report)', async () => {
  const quote = await t().app.inject({
    method: 'POST', url: '/v1/quotes', ...as(t().keys.a),
    payload: { name: 'declared', gpus: 1, durationMinutes: 240, deadline: iso(NOW + 6 * HOUR), pools: ['flat-a'], energyKwh: 0.694 }
  })
  expect(quote.json().plan).toMatchObject({ energyKwh: 0.694, expected: { grams: 57.3, signal: 'average' } })
  const id = await ranJob('flat-a', 0.694)
  expect(await ledger(id)).toMatchObject({
    energyKwh: 0.694, energyMethod: 'measured', provisional: false, verified: true,
    actual: { grams: 57.3, signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: expect.stringMatching(/^actual:csv:flat\.csv/) }
  })
})

test('an agent attempt of 0.05 kWh that is requeued, then a second of 0.02 kWh: both are booked', async () => {
  const res = await submit({ name: 'retried', gpus: 1, durationMinutes: 60, deadline: iso(NOW + 3 * HOUR), pools: ['flat-a'] })
  const id: string = res.json().id
  await tick(t().deps, 'test', NOW, MIN)
  expect(await attempt('flat-a', id, 1, NOW + 20 * MIN, 0.05, true)).toBe('pending')
  await tick(t().deps, 'test', t().clock.now, MIN)
  expect(await attempt('flat-a', id, 2, t().clock.now + HOUR, 0.02)).toBe('succeeded')
  await refreshLedgers(t().deps, t().clock.now + MIN)
  const l = await ledger(id)
  expect(l.attempts.map((a: { energyKwh: number, outcome: string }) => [a.energyKwh, a.outcome])).toEqual([[0.05, 'lost'], [0.02, 'succeeded']])
  // 0.07 kWh × 82.5 g/kWh = 5.775 g.
  expect(l).toMatchObject({ energyKwh: 0.07, actual: { grams: 5.8 } })
})

test('a pool PATCH after the ledger is final leaves the ledger unchanged', async () => {
  const id = await ranJob('flat-a', null)
  const before = await ledger(id)
  expect(before).toMatchObject({ provisional: false, energyKwh: 0.56, energyMethod: 'estimated' })
  const patch = await t().app.inject({ method: 'PATCH', url: '/v1/pools/flat-a', ...as(t().keys.operator), payload: { wattsPerGpu: 300, pue: 1.4, hostWattsPerGpu: 60 } })
  expect(patch.statusCode).toBe(200)
  t().clock.now += 2 * HOUR
  await refreshLedgers(t().deps, t().clock.now)
  expect(await ledger(id)).toEqual(before)
})

test('a pool with `market` yields marketBased.grams beside the location-based figure', async () => {
  const id = await ranJob('flat-ppa', 0.8)
  // 0.8 kWh × 82.5 g/kWh location-based; × 25 g/kWh under the PPA.
  expect((await ledger(id))).toMatchObject({
    actual: { grams: 66 },
    marketBased: { grams: 20, gPerKwh: 25, instrument: 'PPA wind 2026', basis: 'contract' }
  })
})

test('groupBy=month&format=csv has the filing columns and sums to the JSON totals', async () => {
  await ranJob('flat-a', 0.694)
  await ranJob('flat-ppa', 0.4)
  const url = '/v1/reports/emissions?from=2026-11-01&to=2026-12-01&groupBy=month'
  const json = (await t().app.inject({ method: 'GET', url, ...as(t().keys.a) })).json()
  const csv = (await t().app.inject({ method: 'GET', url: `${url}&format=csv`, ...as(t().keys.a) })).body
  const [header, ...lines] = csv.trim().split('\n').map(l => l.split(','))
  const columns = ['period_start', 'period_end', 'group', 'signal', 'factor_type', 'gas', 'energy_kwh', 'gpu_energy_kwh', 'host_energy_kwh',
    'location_g', 'market_g', 'baseline_g', 'avoided_g', 'embodied_g', 'jobs', 'provisional_jobs', 'sources']
  expect(header?.slice(0, columns.length)).toEqual(columns)
  const sum = (column: string) => lines.reduce((s, l) => s + Number(l[header!.indexOf(column)] ?? 0), 0)
  const [totals] = json.totals
  expect(json.totals).toHaveLength(1)
  expect(totals).toMatchObject({ signal: 'average', gas: 'co2e', factorType: 'lifecycle' })
  expect(sum('energy_kwh')).toBeCloseTo(totals.energyKwh, 9)
  expect(sum('location_g')).toBeCloseTo(totals.actualGrams, 9)
  expect(sum('market_g')).toBeCloseTo(totals.marketGrams, 9)
  expect(sum('baseline_g')).toBeCloseTo(totals.baselineGrams, 9)
  expect(sum('avoided_g')).toBeCloseTo(totals.avoidedGrams, 9)
  // 1.094 kWh × 82.5 g/kWh = 90.3 g location-based; market: 0.694 × 82.5 (no instrument) + 0.4 × 25.
  expect(totals).toMatchObject({ energyKwh: 1.094, actualGrams: expect.closeTo(90.3, 1), marketGrams: expect.closeTo(0.694 * 82.5 + 10, 1), jobs: 2 })
})

test('an undersized preferredPool is a 422 naming it', async () => {
  const res = await submit({ name: 'too-big', gpus: 4, durationMinutes: 60, deadline: iso(NOW + 6 * HOUR), preferredPool: 'flat-small' })
  expect(res.statusCode).toBe(422)
  expect(res.json().errors).toEqual([{ field: 'preferredPool', message: expect.stringContaining('cannot hold 4') }])
})

import type { FastifyInstance } from 'fastify'
import { afterEach, expect, test } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import type { Executor, Handover } from '../../src/executors/executor.js'
import { meteredExecutor } from '../../src/metrics-record.js'
import { createMetrics, type Metrics } from '../../src/metrics.js'
import { storeLedger } from '../../src/scheduler/ledger-record.js'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { startLoop } from '../../src/scheduler/loop.js'
import { tick } from '../../src/scheduler/tick.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

// The scheduler's and the ledger's metrics, as a scraper sees them after one job ran end to end on
// the fixture zones: NORTH is 300 g/kWh (100 from 18:00 to 22:00), SOUTH 200 g/kWh.

const t = useTestApp()
const MIN = 60_000

let app: FastifyInstance | undefined
afterEach(async () => { await app?.close() })

/** An app and a scheduler sharing one registry, as `serve` has them. */
async function withMetrics (): Promise<{ metrics: Metrics, app: FastifyInstance }> {
  const metrics = createMetrics()
  t().deps.metrics = metrics
  app = await buildApp({ ...t().deps, now: () => t().clock.now, ready: () => true })
  return { metrics, app }
}

async function scrape (): Promise<string> {
  const res = await (app as FastifyInstance).inject({ method: 'GET', url: '/metrics' })
  expect(res.statusCode).toBe(200)
  return res.body
}

/** The value of one series in a scrape, by its exact labels as prom-client prints them. */
function value (body: string, series: string): number | undefined {
  const line = body.split('\n').find(l => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function runJob (app: FastifyInstance): Promise<string> {
  const { auth, keys } = t()
  // Due at 10:00, 60 min, on gpu-north: 2 GPUs × 400 W, PUE 1.
  const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(keys.a), payload: { name: 'train', gpus: 2, durationMinutes: 60, deadline: iso(NOW + 80 * MIN), pools: ['gpu-north'], command: ['train'] } })
  expect(res.statusCode).toBe(201)
  const id: string = res.json().id
  // Dispatched 90 s after its window opened.
  t().clock.now = NOW + 90_000
  expect(await tick(t().deps, 'test', NOW + 90_000, MIN)).toMatchObject({ dispatched: 1 })
  const tok = (await app.inject({ method: 'POST', url: '/v1/pools/gpu-north/tokens', headers: auth(keys.operator), payload: { name: 'rack' } })).json().token
  const agent = { authorization: `Bearer ${tok as string}` }
  const claimed = await app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent, payload: { agent: 'host-1' } })
  t().clock.now = NOW + 62 * MIN
  const done = await app.inject({
    method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent,
    payload: { attempt: 1, claim: claimed.json().claim, exitCode: 0, startedAt: iso(NOW + 2 * MIN), finishedAt: iso(NOW + 62 * MIN), energyKwh: 0.5 }
  })
  expect(done.json().state).toBe('succeeded')
  return id
}

test('after one job ran: jobs by state and pool, its final ledger in grams and kWh, the dispatch lag; never a job id', async () => {
  const { app } = await withMetrics()
  const before = await scrape()
  // Every configured pool has its zero series before any job: a board shows 0, not "no data".
  expect(value(before, 'greenshift_emissions_grams_total{kind="avoided",pool="gpu-south",zone="SOUTH",signal="average",gas="co2e"}')).toBe(0)
  expect(value(before, 'greenshift_jobs{state="running",pool="gpu-north"}')).toBe(0)
  expect(value(before, 'greenshift_executor_errors_total{pool="gpu-south",call="dispatch",kind="timeout"}')).toBe(0)

  const id = await runJob(app)
  await refreshLedgers(t().deps, NOW + 63 * MIN)
  const ledger = (await app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: t().auth(t().keys.a) })).json().ledger
  expect(ledger).toMatchObject({ provisional: false, actual: { grams: 150 } })

  const body = await scrape()
  expect(value(body, 'greenshift_jobs{state="succeeded",pool="gpu-north"}')).toBe(1)
  expect(value(body, 'greenshift_jobs{state="pending",pool=""}')).toBe(0)
  const grams = (kind: string) => value(body, `greenshift_emissions_grams_total{kind="${kind}",pool="gpu-north",zone="NORTH",signal="average",gas="co2e"}`)
  expect(grams('actual')).toBe(150)
  expect(grams('baseline')).toBe(ledger.baseline.grams)
  expect(grams('expected')).toBe(ledger.expected.grams)
  expect((grams('avoided') ?? NaN) - (grams('excess') ?? NaN)).toBeCloseTo(ledger.avoidedGrams, 9)
  expect(value(body, 'greenshift_energy_kwh_total{pool="gpu-north",method="measured"}')).toBe(0.5)
  expect(value(body, 'greenshift_dispatch_lag_seconds_count{pool="gpu-north"}')).toBe(1)
  expect(value(body, 'greenshift_dispatch_lag_seconds_sum{pool="gpu-north"}')).toBe(90)
  expect(body).not.toContain(id)

  // Counted once: a later pass, a restatement, a second writer of the same final ledger add nothing.
  await refreshLedgers(t().deps, NOW + 2 * HOUR)
  const restated = await app.inject({ method: 'POST', url: `/v1/jobs/${id}/ledger/restate`, headers: t().auth(t().keys.operator), payload: { reason: 'pool power corrected' } })
  expect(restated.statusCode).toBe(200)
  const stored = (await t().deps.store.db.selectFrom('jobs').select('ledger').where('id', '=', id).executeTakeFirstOrThrow()).ledger
  expect(stored).toMatchObject({ provisional: false, metered: true })
  await storeLedger(t().deps, id, { ...stored!, metered: undefined }, NOW + 3 * HOUR)
  expect(value(await scrape(), 'greenshift_emissions_grams_total{kind="actual",pool="gpu-north",zone="NORTH",signal="average",gas="co2e"}')).toBe(150)
  expect(value(await scrape(), 'greenshift_energy_kwh_total{pool="gpu-north",method="measured"}')).toBe(0.5)
})

test('each zone\'s stored intensity now and for the next hour, read from the store', async () => {
  await withMetrics()
  // A pass fetches and stores both zones' forecasts.
  await tick(t().deps, 'test', NOW, MIN)
  const body = await scrape()
  // 10:00 is 300 g/kWh in NORTH, 11:00 too; SOUTH is 200 throughout.
  expect(value(body, 'greenshift_intensity_g_per_kwh{zone="NORTH",kind="forecast"}')).toBe(300)
  expect(value(body, 'greenshift_intensity_g_per_kwh{zone="SOUTH",kind="forecast"}')).toBe(200)
})

test('failed executor calls are counted by pool, call and kind; a pass\'s duration lands in the tick histogram', async () => {
  const { metrics, app } = await withMetrics()
  const refusal = Object.assign(new Error('400 no GRES'), { permanent: true })
  const failing: Executor = { kind: 'webhook', leadMs: 0, dispatch: async () => { throw refusal }, cancel: async () => {} }
  t().deps.executorFor = () => failing
  const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a), payload: { name: 'x', gpus: 1, durationMinutes: 30, deadline: iso(NOW + 80 * MIN), pools: ['gpu-north'], command: ['x'] } })
  expect(res.statusCode).toBe(201)
  const loop = startLoop(t().deps, 'test', 3_600_000, 60_000, () => NOW + MIN)
  await loop.stop()
  const body = await scrape()
  expect(value(body, 'greenshift_executor_errors_total{pool="gpu-north",call="dispatch",kind="refused"}')).toBe(1)
  expect(value(body, 'greenshift_tick_seconds_count')).toBe(1)
  expect(await metrics.registry.getSingleMetricAsString('greenshift_tick_seconds')).toContain('le="+Inf"} 1')
})

test('a client\'s own timeout, wrapped by the executor as its cause, counts as a timeout; other failures as errors', async () => {
  const metrics = createMetrics()
  const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })
  let failure: Error = new Error('Slurm POST /slurm/v0.0.41/job/submit: no answer within 10000 ms', { cause: timeout })
  const executor = meteredExecutor(metrics, 'slurm-de', { kind: 'slurm', leadMs: 0, dispatch: async () => { throw failure }, cancel: async () => {} })
  await expect(executor.dispatch({} as Handover, NOW)).rejects.toThrow('no answer')
  failure = new Error('connect ECONNREFUSED 127.0.0.1:6820')
  await expect(executor.dispatch({} as Handover, NOW)).rejects.toThrow('ECONNREFUSED')
  const text = await metrics.registry.getSingleMetricAsString('greenshift_executor_errors_total')
  expect(text).toContain('greenshift_executor_errors_total{pool="slurm-de",call="dispatch",kind="timeout"} 1')
  expect(text).toContain('greenshift_executor_errors_total{pool="slurm-de",call="dispatch",kind="error"} 1')
})

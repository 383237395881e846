import { describe, expect, test } from 'vitest'
import { tick } from '../../src/scheduler/tick.js'
import { HOUR, NOW, iso, useTestApp } from '../support/app.js'

// The fixture pools: gpu-north, 8 A100-SXM4-80GB at 400 W; gpu-south, 4 L40S at 500 W; PUE 1.
const t = useTestApp()
const TIMEOUT = 30_000
const MINUTE = 60_000

const WORK = { parameters: 7e9, samples: 52_000, seqLen: 512, epochs: 1, method: 'lora' }
/** One CodeCarbon row: 100 min on one A100, 0.6 kWh. */
const ROW = { duration: 6000, energy_consumed: 0.6, gpu_energy: 0.5, cpu_energy: 0.08, ram_energy: 0.02, gpu_model: '1 x NVIDIA A100-SXM4-80GB', gpu_count: 1, country_name: 'Germany' }

async function post (url: string, payload: object, key = t().keys.a) {
  return await t().app.inject({ method: 'POST', url, payload, headers: t().auth(key) })
}

async function northEstimate (work: object = WORK, key = t().keys.a) {
  const res = await post('/v1/estimates', { work, gpus: 1, pools: ['gpu-north'] }, key)
  expect(res.statusCode).toBe(200)
  return res.json().estimates[0]
}

/** Runs a work job on gpu-north through the agent API: dispatched at once, `minutes` long, `kwh` measured; then the ledger pass. */
async function runWorkJob (start: number, minutes: number, kwh: number): Promise<string> {
  t().clock.now = start
  // 133 min of estimated work due in 140 min: its only start is now.
  const res = await post('/v1/jobs', { name: 'lora-7b', command: ['train'], gpus: 1, work: WORK, pools: ['gpu-north'], deadline: iso(start + 140 * MINUTE) })
  expect(res.statusCode).toBe(201)
  const id = res.json().id as string
  await tick(t().deps, 'test', start, MINUTE)
  const token = (await post('/v1/pools/gpu-north/tokens', { name: `rack-${start}` }, t().keys.operator)).json().token
  const agent = { authorization: `Bearer ${token as string}` }
  const claimed = await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent, payload: { agent: 'h' } })
  expect(claimed.json().job.id).toBe(id)
  t().clock.now = start + (minutes + 1) * MINUTE
  const done = await t().app.inject({
    method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent,
    payload: { attempt: 1, claim: claimed.json().claim, exitCode: 0, startedAt: iso(start), finishedAt: iso(start + minutes * MINUTE), energyKwh: kwh }
  })
  expect(done.json()).toEqual({ state: 'succeeded' })
  await tick(t().deps, 'test', t().clock.now, MINUTE)
  return id
}

describe('learning from measured runs', () => {
  test('a measured work job moves the estimate of the same family to within 10 % of a repeated run; other tenants are not informed', async () => {
    const before = await northEstimate()
    expect(before).toMatchObject({ method: 'estimated:flops', energyKwh: { mid: 0.885 } })
    await runWorkJob(NOW, 100, 0.6)
    const after = await northEstimate()
    expect(after).toMatchObject({ method: 'estimated:history', runs: 1, energyKwh: { low: 0.54, mid: 0.6, high: 0.66 }, durationMinutes: { mid: 100 } })
    expect(after.flops.energyKwh.mid).toBe(0.885)
    // The same work again measures 0.62 kWh in 104 min: the estimate was within 10 %, the FLOPs one 43 % off.
    const repeat = 0.62
    expect(Math.abs(after.energyKwh.mid - repeat) / repeat).toBeLessThan(0.1)
    expect(Math.abs(before.energyKwh.mid - repeat) / repeat).toBeGreaterThan(0.1)
    const second = await runWorkJob(NOW + 4 * HOUR, 104, repeat)
    const both = await northEstimate()
    expect(both).toMatchObject({ method: 'estimated:history', runs: 2, energyKwh: { low: 0.6, mid: 0.61, high: 0.62 }, durationMinutes: { low: 100, mid: 102, high: 104 } })
    // Twice the tokens: twice the energy and time.
    expect(await northEstimate({ ...WORK, epochs: 2 })).toMatchObject({ energyKwh: { mid: 1.22 }, durationMinutes: { mid: 204 } })
    // A new work job is planned with it, and says so.
    const job = (await post('/v1/jobs', { name: 'again', command: ['train'], gpus: 1, work: WORK, pools: ['gpu-north'], deadline: iso(t().clock.now + 30 * HOUR) })).json()
    expect(job).toMatchObject({ durationMinutes: 102, estimate: { method: 'estimated:history', runs: 2, pool: 'gpu-north' } })
    // Its plan draws the measured energy (PUE 1), not the pool's 400 W × 102 min (0.68 kWh).
    expect(job.plan.energyKwh).toBeCloseTo(0.61, 3)
    // Another tenant's estimate is untouched; another family or another GPU model too.
    expect(await northEstimate(WORK, t().keys.b)).toMatchObject({ method: 'estimated:flops' })
    expect(await northEstimate({ ...WORK, method: 'full' })).toMatchObject({ method: 'estimated:flops' })
    const south = await post('/v1/estimates', { work: WORK, gpus: 1, pools: ['gpu-south'] })
    expect(south.json().estimates[0].method).toBe('estimated:flops')
    // Ledger passes after the first record nothing more: one row per job.
    await tick(t().deps, 'test', t().clock.now + 2 * HOUR, MINUTE)
    const rows = await t().deps.store.db.selectFrom('energy_history').select(['job_id', 'source', 'energy_kwh']).orderBy('id').execute()
    expect(rows).toHaveLength(2)
    expect(rows[1]).toEqual({ job_id: second, source: 'ledger', energy_kwh: repeat })
  }, TIMEOUT)

  test('labels.family names the family a job is kept and estimated under', async () => {
    const res = await post('/v1/energy-history', { work: WORK, family: 'recipe-a', rows: [ROW] })
    expect(res.statusCode).toBe(201)
    expect((await post('/v1/estimates', { work: WORK, gpus: 1, pools: ['gpu-north'], family: 'recipe-a' })).json().estimates[0].method).toBe('estimated:history')
    expect((await northEstimate()).method).toBe('estimated:flops')
    const job = await post('/v1/jobs', { name: 'x', command: ['train'], gpus: 1, work: WORK, labels: { family: 'recipe-a' }, deadline: iso(NOW + 30 * HOUR) })
    expect(job.json().estimate).toMatchObject({ family: 'recipe-a', pools: [{ pool: 'gpu-north', method: 'estimated:history', runs: 1 }, { pool: 'gpu-south', method: 'estimated:flops' }] })
  }, TIMEOUT)
})

describe('POST /v1/energy-history', () => {
  test('stores CodeCarbon rows as history: IT energy, T = tokens × epochs, the GPU model as the table names it', async () => {
    const res = await post('/v1/energy-history', { work: WORK, rows: [ROW, { ...ROW, energy_consumed: 0.66, gpu_energy: 0.56, gpu_model: 'NVIDIA A100 80GB', gpu_count: undefined }] })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ stored: 2, family: 'lora:7000000000', runs: [{ gpuModel: 'A100-SXM4-80GB', gpus: 1, tokens: 26_624_000, energyKwh: 0.6, durationMinutes: 100 }, { energyKwh: 0.66 }] })
    expect(await northEstimate()).toMatchObject({ method: 'estimated:history', runs: 2, energyKwh: { low: 0.6, mid: 0.63, high: 0.66 } })
  }, TIMEOUT)

  test('a bad row is refused naming it and its column; nothing is stored', async () => {
    const cases: Array<[object, number, string]> = [
      [{ ...ROW, energy_consumed: undefined }, 400, 'rows[1].energy_consumed'],
      [{ ...ROW, duration: -5 }, 400, 'rows[1].duration'],
      [{ ...ROW, gpu_model: '' }, 400, 'rows[1].gpu_model'],
      [{ ...ROW, energy_consumed: 0.9 }, 422, 'rows[1].energy_consumed'],
      [{ ...ROW, duration: 1, energy_consumed: 6, gpu_energy: 5.9, cpu_energy: 0.1, ram_energy: 0 }, 422, 'rows[1].energy_consumed'],
      [{ ...ROW, gpu_model: '4 x NVIDIA A100-SXM4-80GB', gpu_count: 2 }, 422, 'rows[1].gpu_count']
    ]
    for (const [bad, status, field] of cases) {
      const res = await post('/v1/energy-history', { work: WORK, rows: [ROW, bad] })
      expect(res.statusCode, field).toBe(status)
      expect(JSON.stringify(res.json().errors), field).toContain(field)
    }
    const noWork = await post('/v1/energy-history', { work: { parameters: 7e9, method: 'lora' }, rows: [ROW] })
    expect(noWork.json().errors[0].field).toBe('work.tokens')
    expect(await t().deps.store.db.selectFrom('energy_history').selectAll().execute()).toEqual([])
    expect((await post('/v1/energy-history', { work: WORK, rows: [ROW] }, t().keys.aRead)).statusCode).toBe(403)
  }, TIMEOUT)

  test('a run CodeCarbon named by run_id is stored once per tenant, however often its file is imported', async () => {
    const rows = [{ ...ROW, run_id: 'run-1' }, { ...ROW, energy_consumed: 0.66, gpu_energy: 0.56, run_id: 'run-2' }]
    expect((await post('/v1/energy-history', { work: WORK, rows })).json()).toMatchObject({ stored: 2, duplicates: 0 })
    expect((await post('/v1/energy-history', { work: WORK, rows })).json()).toMatchObject({ stored: 0, duplicates: 2 })
    expect(await northEstimate()).toMatchObject({ method: 'estimated:history', runs: 2 })
    // Another tenant's runs are its own, whatever their ids.
    expect((await post('/v1/energy-history', { work: WORK, rows }, t().keys.b)).json()).toMatchObject({ stored: 2, duplicates: 0 })
    // Rows without an id are each a run.
    expect((await post('/v1/energy-history', { work: WORK, rows: [ROW, ROW] })).json()).toMatchObject({ stored: 2, duplicates: 0 })
  }, TIMEOUT)
})

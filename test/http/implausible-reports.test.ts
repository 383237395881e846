import { describe, expect, test } from 'vitest'
import { sign } from '../../src/executors/signing.js'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { tick } from '../../src/scheduler/tick.js'
import { listEvents } from '../../src/store/events.js'
import { getJobById, transitionJob } from '../../src/store/jobs.js'
import { getLedger } from '../../src/store/ledger.js'
import { insertPool } from '../../src/store/pools.js'
import { getRun, insertRun, listMeasurements } from '../../src/store/runs.js'
import { listSegments } from '../../src/store/segments.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

// What an agent token or a webhook secret could book before reports were checked (issue 10,
// findings 2 to 4): each is refused with a 422 naming the field, and changes nothing.
const t = useTestApp()
const Y9999 = '9999-12-31T23:59:59Z'
const EPOCH = '1970-01-01T00:00:00Z'
const fields = (res: { json: () => { errors: Array<{ field: string }> } }) => res.json().errors.map(e => e.field)

/** The run of attempt 1 as stored, the job's state and its history's length: what a refused report must leave alone. */
async function snapshot (id: string) {
  const db = t().deps.store.db
  return { job: (await getJobById(db, id))?.state, run: await getRun(db, id, 1), segments: await listSegments(db, id), events: (await listEvents(db, id)).length, measurements: await listMeasurements(db, id, 1) }
}

describe('agent reports', () => {
  const agent = (token: string) => ({ authorization: `Bearer ${token}` })

  /** A 1-GPU job due now on gpu-north (400 W per GPU, PUE 1), dispatched at NOW and claimed by an agent. */
  async function claimed (): Promise<{ id: string, token: string, claim: string }> {
    const res = await t().app.inject({
      method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
      payload: { name: 'one-gpu', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 80 * 60_000), pools: ['gpu-north'] }
    })
    const id = res.json().id as string
    await tick(t().deps, 'test', NOW, 60_000)
    const token = (await t().app.inject({ method: 'POST', url: '/v1/pools/gpu-north/tokens', headers: t().auth(t().keys.operator), payload: {} })).json().token as string
    const claim = await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'h' } })
    expect(claim.json().job.id).toBe(id)
    return { id, token, claim: claim.json().claim }
  }

  const complete = async ({ id, token, claim }: { id: string, token: string, claim: string }, body: Record<string, unknown>) => await t().app.inject({
    method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent(token), payload: { attempt: 1, claim, exitCode: 0, ...body }
  })

  test('a completion finishing in 9999 is a 422 naming finishedAt, and the job and its run are unchanged', async () => {
    const run = await claimed()
    const id = run.id
    t().clock.now = NOW + 30 * 60_000
    const before = await snapshot(id)
    const res = await complete(run, { startedAt: iso(NOW), finishedAt: Y9999, energyKwh: 0.1 })
    expect(res.statusCode).toBe(422)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(fields(res)).toEqual(['finishedAt'])
    expect(await snapshot(id)).toEqual(before)
    expect(before).toMatchObject({ job: 'running', run: { outcome: null, finishedAt: null } })
    expect(before.segments.filter(s => s.kind === 'actual')).toEqual([])
  })

  test('5,000 kWh from one GPU dispatched seconds ago, said to have started 3 h before, is a 422 naming energyKwh; nothing is booked', async () => {
    const run = await claimed()
    const id = run.id
    t().clock.now = NOW + 30_000
    const before = await snapshot(id)
    const res = await complete(run, { startedAt: iso(NOW - 3 * HOUR), finishedAt: iso(NOW + 30_000), energyKwh: 5000 })
    expect(res.statusCode).toBe(422)
    expect(fields(res)).toEqual(['startedAt', 'energyKwh'])
    expect(await snapshot(id)).toEqual(before)
    expect(await refreshLedgers(t().deps, NOW + HOUR)).toMatchObject({ computed: 0 })
    expect(await getLedger(t().deps.store.db, id)).toBeNull()
  })

  test('a heartbeat drawing more than the GPU can is a 422 naming powerW, and no measurement is stored', async () => {
    const { id, token, claim } = await claimed()
    t().clock.now = NOW + 10 * 60_000
    const res = await t().app.inject({ method: 'POST', url: `/v1/agent/jobs/${id}/heartbeat`, headers: agent(token), payload: { attempt: 1, claim, powerW: 5_000_000, energyKwh: 0.05 } })
    expect(res.statusCode).toBe(422)
    expect(fields(res)).toEqual(['powerW'])
    expect(await listMeasurements(t().deps.store.db, id, 1)).toEqual([])
  })
})

describe('webhook callbacks', () => {
  const SECRET = 'whsec_' + Buffer.from('hook-pool-secret-42').toString('base64')
  let messages = 0

  /** A 2-GPU job on a webhook pool (500 W per GPU, PUE 1.2), dispatched at NOW as attempt 1. */
  async function dispatched (): Promise<string> {
    const db = t().deps.store.db
    // `env` is shared with the app (see useTestApp).
    Object.assign(t().deps.env ?? {}, { TEST_HOOK_SECRET: SECRET })
    await insertPool(db, {
      name: 'gpu-hook', zone: 'NORTH', gpuModel: 'L4', gpuCount: 4, wattsPerGpu: 500, pue: 1.2,
      executor: { kind: 'webhook', url: 'http://127.0.0.1:9/hook', secretEnv: 'TEST_HOOK_SECRET' }, enabled: true, embodiedGPerGpuHour: null, hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null
    }, new Date(NOW))
    const res = await t().app.inject({
      method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
      payload: { name: 'finetune', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), pools: ['gpu-hook'] }
    })
    const id = res.json().id as string
    await transitionJob(db, { id, from: ['planned'], to: 'dispatched', at: new Date(NOW), reason: 'test', attempt: 1 })
    await insertRun(db, { jobId: id, attempt: 1, pool: 'gpu-hook', executor: 'webhook', at: NOW })
    return id
  }

  async function callback (id: string, body: Record<string, unknown>) {
    const text = JSON.stringify({ jobId: id, attempt: 1, ...body })
    const signed = sign(SECRET, `cb_${++messages}`, Math.floor(t().clock.now / 1000), text)
    return await t().app.inject({ method: 'POST', url: `/v1/callbacks/jobs/${id}`, payload: text, headers: { 'content-type': 'application/json', ...signed } })
  }

  test('finished with a start in 1970 is a 422 naming startedAt, and changes nothing', async () => {
    const id = await dispatched()
    t().clock.now = NOW + 2 * HOUR
    const before = await snapshot(id)
    const res = await callback(id, { type: 'finished', exitCode: 0, startedAt: EPOCH, finishedAt: iso(NOW + 2 * HOUR), energyKwh: 1 })
    expect(res.statusCode).toBe(422)
    expect(fields(res)).toEqual(['startedAt'])
    expect(await snapshot(id)).toEqual(before)
  })

  test('started in 1970 is a 422 naming the field it came in (at)', async () => {
    const id = await dispatched()
    const res = await callback(id, { type: 'started', at: EPOCH })
    expect(res.statusCode).toBe(422)
    expect(fields(res)).toEqual(['at'])
    expect((await getRun(t().deps.store.db, id, 1))?.startedAt).toBeNull()
  })

  test('finished before the start it reported earlier is a 422 naming finishedAt, and the run stays open', async () => {
    const id = await dispatched()
    t().clock.now = NOW + 10 * 60_000
    expect((await callback(id, { type: 'started' })).statusCode).toBe(200)
    t().clock.now = NOW + 20 * 60_000
    const before = await snapshot(id)
    const res = await callback(id, { type: 'finished', exitCode: 0, finishedAt: iso(NOW + 5 * 60_000) })
    expect(res.statusCode).toBe(422)
    expect(fields(res)).toEqual(['finishedAt'])
    expect(await snapshot(id)).toEqual(before)
  })

  test('a heartbeat with more energy than 2 GPUs can draw since the dispatch is a 422 naming energyKwh', async () => {
    const id = await dispatched()
    t().clock.now = NOW + HOUR
    // 2 × 500 W × 1.5 × PUE 1.2 = 1.8 kW: at most 1.83 kWh by now + 1 min.
    expect((await callback(id, { type: 'heartbeat', energyKwh: 1.8 })).statusCode).toBe(200)
    const res = await callback(id, { type: 'heartbeat', energyKwh: 1_000_000 })
    expect(res.statusCode).toBe(422)
    expect(fields(res)).toEqual(['energyKwh'])
    expect(await listMeasurements(t().deps.store.db, id, 1)).toHaveLength(1)
  })
})

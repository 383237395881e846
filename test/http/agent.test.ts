import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { tick } from '../../src/scheduler/tick.js'
import { listMeasurements, listRuns } from '../../src/store/runs.js'
import { listSegments } from '../../src/store/segments.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { backendName } from '../support/db.js'
import { ageHeartbeat } from '../support/db-time.js'

const t = useTestApp()

async function mint (pool: string, key = t().keys.operator) {
  return await t().app.inject({ method: 'POST', url: `/v1/pools/${pool}/tokens`, headers: t().auth(key), payload: { name: 'rack-1' } })
}

async function submit (payload: Record<string, unknown>): Promise<string> {
  const res = await t().app.inject({ method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a), payload })
  expect(res.statusCode).toBe(201)
  return res.json().id
}

/** A job due now in gpu-north (SOUTH is never greener at NOW in the fixtures), dispatched by one tick. */
async function dispatchedJob (name = 'train'): Promise<string> {
  const id = await submit({ name, gpus: 2, durationMinutes: 60, deadline: iso(NOW + 80 * 60_000), pools: ['gpu-north'], command: ['python', 'train.py'], labels: { team: 'nlp' } })
  await tick(t().deps, 'test', NOW, 60_000)
  return id
}

const agent = (token: string) => ({ authorization: `Bearer ${token}` })

describe('agent API', () => {
  test('claim → heartbeat → complete: the job runs once, the energy is measured × PUE, the run and its segment are kept', async () => {
    const id = await dispatchedJob()
    const north = (await mint('gpu-north')).json().token
    const south = (await mint('gpu-south')).json().token
    const claim = (token: string) => t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'host-1:42', gpus: 8 } })
    expect((await claim(south)).statusCode).toBe(204)
    const claimed = await claim(north)
    expect(claimed.statusCode).toBe(200)
    expect(claimed.json()).toMatchObject({ job: { id, attempt: 1, name: 'train', command: ['python', 'train.py'], gpus: 2, labels: { team: 'nlp' } }, heartbeatSeconds: 15 })
    const secret = claimed.json().claim
    expect((await claim(north)).statusCode).toBe(204)

    // Another pool's token learns nothing of this job.
    const foreign = await t().app.inject({ method: 'POST', url: `/v1/agent/jobs/${id}/heartbeat`, headers: agent(south), payload: { attempt: 1, claim: secret } })
    expect(foreign.statusCode).toBe(404)

    t().clock.now = NOW + 30 * 60_000
    const beat = await t().app.inject({ method: 'POST', url: `/v1/agent/jobs/${id}/heartbeat`, headers: agent(north), payload: { attempt: 1, claim: secret, progress: 0.5, powerW: 500, energyKwh: 0.25 } })
    expect(beat.json()).toEqual({ cancel: false })
    expect(await listMeasurements(t().deps.store.db, id, 1)).toEqual([{ at: NOW + 30 * 60_000, powerW: 500, energyKwh: 0.25 }])

    t().clock.now = NOW + 61 * 60_000
    const done = await t().app.inject({
      method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent(north),
      payload: { attempt: 1, claim: secret, exitCode: 0, startedAt: iso(NOW), finishedAt: iso(NOW + 60 * 60_000), energyKwh: 0.5, samples: 720 }
    })
    expect(done.json()).toEqual({ state: 'succeeded' })
    const [run] = await listRuns(t().deps.store.db, id)
    // gpu-north has PUE 1 in the fixtures: wall energy equals GPU energy.
    expect(run).toMatchObject({ attempt: 1, pool: 'gpu-north', executor: 'agent', ref: 'host-1:42', outcome: 'succeeded', exitCode: 0, energyKwh: 0.5, startedAt: NOW, finishedAt: NOW + HOUR })
    expect((await listSegments(t().deps.store.db, id)).filter(s => s.kind === 'actual')).toMatchObject([{ pool: 'gpu-north', start: NOW, end: NOW + HOUR }])
    // Reporting again changes nothing.
    const again = await t().app.inject({
      method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent(north),
      payload: { attempt: 1, claim: secret, exitCode: 1, startedAt: iso(NOW), finishedAt: iso(NOW + HOUR), energyKwh: 9 }
    })
    expect(again.statusCode).toBe(409)
    expect((await listRuns(t().deps.store.db, id))[0]?.energyKwh).toBe(0.5)
  })

  test('a cancel reaches the agent through its heartbeat, and its completion closes the run as cancelled', async () => {
    const id = await dispatchedJob()
    const token = (await mint('gpu-north')).json().token
    const { claim } = (await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'h' } })).json()
    await t().app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: t().auth(t().keys.a) })
    const beat = await t().app.inject({ method: 'POST', url: `/v1/agent/jobs/${id}/heartbeat`, headers: agent(token), payload: { attempt: 1, claim } })
    expect(beat.json()).toEqual({ cancel: true })
    t().clock.now = NOW + 5 * 60_000
    const done = await t().app.inject({
      method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent(token),
      payload: { attempt: 1, claim, exitCode: 143, startedAt: iso(NOW), finishedAt: iso(NOW + 5 * 60_000), energyKwh: 0.04, detail: 'terminated on cancel' }
    })
    expect(done.json()).toEqual({ state: 'cancelled' })
    expect((await listRuns(t().deps.store.db, id))[0]).toMatchObject({ outcome: 'cancelled', energyKwh: 0.04 })
  })

  test('a silent agent loses its job, which is planned and dispatched again as attempt 2; the old attempt is refused', async () => {
    const id = await dispatchedJob()
    const token = (await mint('gpu-north')).json().token
    const { claim } = (await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'h' } })).json()
    const timeout = t().deps.config.agentTimeoutSeconds * 1000
    expect(await tick(t().deps, 'test', NOW + timeout, 60_000)).toMatchObject({ lost: 0 })
    // Silence is judged by the database's clock, which stamped the claim: make that stamp older.
    await ageHeartbeat(t().deps.store.db, id, timeout + 1000)
    const lost = await tick(t().deps, 'test', NOW + timeout + 1000, 60_000)
    expect(lost).toMatchObject({ lost: 1 })
    // The next tick plans it again within its deadline and dispatches it at once (it is due).
    const again = await tick(t().deps, 'test', NOW + timeout + 2000, 60_000)
    expect(again).toMatchObject({ planned: 1, dispatched: 1 })
    const job = (await t().app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: t().auth(t().keys.a) })).json()
    expect(job.state).toBe('dispatched')
    expect(job.events.some((e: { reason: string }) => e.reason.includes('sent no report'))).toBe(true)
    const stale = await t().app.inject({ method: 'POST', url: `/v1/agent/jobs/${id}/heartbeat`, headers: agent(token), payload: { attempt: 1, claim } })
    expect(stale.statusCode).toBe(409)
    const claimed = await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'h2' } })
    expect(claimed.json().job).toMatchObject({ id, attempt: 2 })
    const runs = await listRuns(t().deps.store.db, id)
    expect(runs.map(r => r.outcome)).toEqual(['lost', null])
    // Closed at its last sign of life (the claim), not when the silence was noticed: the ledger prices only that.
    expect(runs[0]?.finishedAt).toBeLessThan(NOW + 1000)
  })

  test('an agent that is stopped hands its job back: it is planned again instead of failed', async () => {
    const id = await dispatchedJob()
    const token = (await mint('gpu-north')).json().token
    const claimed = await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'h' } })
    expect(claimed.json().pool).toBe('gpu-north')
    t().clock.now = NOW + 60_000
    const done = await t().app.inject({
      method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent(token),
      payload: { attempt: 1, claim: claimed.json().claim, exitCode: 143, startedAt: iso(NOW), finishedAt: iso(NOW + 60_000), energyKwh: 0.001, detail: 'agent stopped', requeue: true }
    })
    expect(done.json()).toEqual({ state: 'pending' })
    expect((await listRuns(t().deps.store.db, id))[0]).toMatchObject({ outcome: 'lost' })
    expect(await tick(t().deps, 'test', NOW + 120_000, 60_000)).toMatchObject({ planned: 1, dispatched: 1 })
  })

  test('bad reports are 4xx problems naming the field and change nothing', async () => {
    const id = await dispatchedJob()
    const token = (await mint('gpu-north')).json().token
    const { claim } = (await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'h' } })).json()
    const bad = await t().app.inject({
      method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent(token),
      payload: { attempt: 1, claim, exitCode: 0, startedAt: iso(NOW + HOUR), finishedAt: iso(NOW), energyKwh: 1 }
    })
    expect(bad.statusCode).toBe(422)
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toContain('finishedAt')
    const neg = await t().app.inject({ method: 'POST', url: `/v1/agent/jobs/${id}/heartbeat`, headers: agent(token), payload: { attempt: 1, claim, powerW: -5 } })
    expect(neg.statusCode).toBe(400)
    expect((await listRuns(t().deps.store.db, id))[0]?.outcome).toBeNull()
  })

  test('a claim is bound to its agent: the pool token without the claim secret cannot heartbeat or complete the run, and changes nothing', async () => {
    const id = await dispatchedJob()
    const token = (await mint('gpu-north')).json().token
    const other = (await mint('gpu-north')).json().token
    const claimed = (await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'honest' } })).json()
    expect(claimed.claim).toMatch(/^[A-Za-z0-9_-]{43}$/) // 32 random bytes, base64url
    const before = await listRuns(t().deps.store.db, id)
    t().clock.now = NOW + 30 * 60_000
    const beat = async (headers: Record<string, string>, claim?: string) => await t().app.inject({
      method: 'POST', url: `/v1/agent/jobs/${id}/heartbeat`, headers, payload: { attempt: 1, powerW: 500, energyKwh: 0.01, progress: 0.9, ...(claim === undefined ? {} : { claim }) }
    })
    const complete = async (headers: Record<string, string>, claim?: string) => await t().app.inject({
      method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers,
      payload: { attempt: 1, exitCode: 0, startedAt: iso(NOW), finishedAt: iso(NOW + 30 * 60_000), energyKwh: 0.02, ...(claim === undefined ? {} : { claim }) }
    })
    // The same token (leaked to a job, say) and another token of the pool; no secret, a forged one, another run's.
    const forged = `${claimed.claim.slice(0, -1)}${claimed.claim.endsWith('A') ? 'B' : 'A'}`
    for (const res of [await beat(agent(token)), await complete(agent(token)), await beat(agent(other), forged), await complete(agent(other), forged), await complete(agent(token), 'x')]) {
      expect(res.statusCode).toBe(403)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json().errors).toEqual([{ field: 'claim', message: expect.any(String) as string }])
    }
    expect(await listRuns(t().deps.store.db, id)).toEqual(before)
    expect(await listMeasurements(t().deps.store.db, id, 1)).toEqual([])
    expect((await t().app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: t().auth(t().keys.a) })).json().state).toBe('running')

    // Only the hash is stored; the agent holding the secret reports as before.
    const [row] = await t().deps.store.db.selectFrom('job_runs').select('claim_hash').where('job_id', '=', id).execute()
    expect(row?.claim_hash).toBe(createHash('sha256').update(claimed.claim).digest('hex'))
    expect((await beat(agent(token), claimed.claim)).json()).toEqual({ cancel: false })
    expect((await complete(agent(other), claimed.claim)).json()).toEqual({ state: 'succeeded' })
  })

  test('a run claimed before claims were bound (no claim hash) takes no report at all', async () => {
    const id = await dispatchedJob()
    const token = (await mint('gpu-north')).json().token
    const { claim } = (await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'old' } })).json()
    await t().deps.store.db.updateTable('job_runs').set({ claim_hash: null }).where('job_id', '=', id).execute()
    for (const payload of [{ attempt: 1 }, { attempt: 1, claim }]) {
      const res = await t().app.inject({ method: 'POST', url: `/v1/agent/jobs/${id}/heartbeat`, headers: agent(token), payload })
      expect([res.statusCode, res.json().errors[0].field]).toEqual([403, 'claim'])
    }
  })

  test('an attempt beyond PostgreSQL\'s integer is a 400 naming attempt, not a database error, and stores nothing', async () => {
    const id = await dispatchedJob()
    const token = (await mint('gpu-north')).json().token
    await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'h' } })
    const huge = 2 ** 31
    const beat = await t().app.inject({ method: 'POST', url: `/v1/agent/jobs/${id}/heartbeat`, headers: agent(token), payload: { attempt: huge, powerW: 500, energyKwh: 0.1 } })
    const done = await t().app.inject({
      method: 'POST', url: `/v1/agent/jobs/${id}/complete`, headers: agent(token),
      payload: { attempt: huge, exitCode: 0, startedAt: iso(NOW), finishedAt: iso(NOW + HOUR), energyKwh: 1 }
    })
    for (const res of [beat, done]) {
      expect(res.statusCode).toBe(400)
      expect(res.json().errors).toEqual([{ field: 'attempt', message: 'must be <= 2147483647' }])
    }
    expect(await listMeasurements(t().deps.store.db, id, 1)).toEqual([])
    expect(await listRuns(t().deps.store.db, id)).toMatchObject([{ attempt: 1, outcome: null, heartbeatAt: expect.any(Number) as number, finishedAt: null }])
  })
})

describe(`agent claims at once (${backendName()})`, () => {
  test('agents claiming at once each get a different job (FOR UPDATE SKIP LOCKED)', async () => {
    const ids = []
    for (let i = 0; i < 4; i++) ids.push(await submit({ name: `j${i}`, command: ['train'], gpus: 1, durationMinutes: 30, deadline: iso(NOW + 3 * HOUR), pools: ['gpu-north'] }))
    await tick(t().deps, 'test', NOW, 60_000)
    const token = (await mint('gpu-north')).json().token
    const claims = await Promise.all(Array.from({ length: 6 }, async (_, i) =>
      await t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: `h${i}` } })))
    const got = claims.filter(c => c.statusCode === 200).map(c => c.json().job.id)
    expect(got.sort()).toEqual([...ids].sort())
  })
})

describe('the claim long-poll over a real socket', () => {
  test('waits for a job up to waitSeconds instead of answering 204 at once, and hands out one that arrives meanwhile', async () => {
    const url = await t().app.listen({ port: 0, host: '127.0.0.1' })
    const token = (await mint('gpu-north')).json().token
    const claim = async (waitSeconds: number) => await fetch(`${url}/v1/agent/claim`, {
      method: 'POST', headers: { ...agent(token), 'content-type': 'application/json' }, body: JSON.stringify({ agent: 'poller', waitSeconds })
    })
    // Nothing to claim: the answer comes after the wait, never sooner (a loaded machine only makes it later).
    const started = performance.now()
    expect((await claim(1)).status).toBe(204)
    expect(performance.now() - started).toBeGreaterThanOrEqual(900)
    // A job dispatched while an agent waits is handed to it.
    const waiting = claim(30)
    const id = await dispatchedJob('arrives')
    const res = await waiting
    expect(res.status).toBe(200)
    expect(((await res.json()) as { job: { id: string } }).job.id).toBe(id)
  })
})

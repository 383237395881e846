import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent } from 'undici'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { Job, JobPlan, Pool } from '../../src/core/types.js'
import type { Handover } from '../../src/executors/executor.js'
import { verify } from '../../src/executors/signing.js'
import { createWebhookExecutor, defaultBackoffMs, WebhookDeliveryError, type WebhookOptions } from '../../src/executors/webhook.js'

const SECRET = 'whsec_' + Buffer.from('receiver-shared-secret').toString('base64')
const NOW = Date.UTC(2026, 10, 23, 18)
const HOUR = 3_600_000
const JOB_ID = '3f0c6a52-8d1e-4c1b-9a57-0d7d8f3c2b10'

/** What the receiver got: headers, raw body, and whether our `verify` accepted it at the test clock. */
interface Delivery { headers: IncomingHttpHeaders, body: string, verified: boolean }

/** A reply the receiver gives, in order; 'hang' never answers, 'drop' closes the socket. */
type Answer = number | { status: number, headers: Record<string, string> } | 'hang' | 'drop'

let server: Server
let agent: Agent
let url: string
let answers: Answer[]
let deliveries: Delivery[]
let clock: { now: number }
let sleeps: number[]

function answer (res: ServerResponse, a: Answer): void {
  if (a === 'hang') return
  if (a === 'drop') { res.socket?.destroy(); return }
  const { status, headers } = typeof a === 'number' ? { status: a, headers: {} } : a
  res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(status < 300 ? 'ok' : `status ${status}`)
}

beforeEach(async () => {
  answers = []
  deliveries = []
  sleeps = []
  clock = { now: NOW }
  server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => { body += chunk })
    req.on('end', () => {
      const verified = verify(SECRET, req.headers, body, Math.floor(clock.now / 1000)).ok
      deliveries.push({ headers: req.headers, body, verified })
      answer(res, answers.shift() ?? 200)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/gpu?token=t0ps3cret`
  agent = new Agent()
})

afterEach(async () => {
  await agent.close()
  server.closeAllConnections()
  await new Promise<void>(resolve => server.close(() => resolve()))
})

/** An executor on the local receiver whose sleeps are recorded and advance the test clock instead of waiting. */
function executor (over: Partial<WebhookOptions> = {}) {
  return createWebhookExecutor({ kind: 'webhook', url, secretEnv: 'HOOK_SECRET' }, {
    secret: SECRET,
    callbackBase: 'https://greenshift.example/',
    dispatcher: agent,
    attempts: 3,
    backoffMs: n => 1000 * n,
    sleep: async ms => { sleeps.push(ms); clock.now += ms },
    now: () => clock.now,
    ...over
  })
}

const pool: Pool = { name: 'gpu-hook', zone: 'NORTH', gpuModel: 'L4', gpuCount: 4, wattsPerGpu: 72, pue: 1.2, executor: { kind: 'webhook', url: 'http://127.0.0.1/', secretEnv: 'HOOK_SECRET' }, enabled: true, embodiedGPerGpuHour: null, hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null }
const figure = { grams: 10, signal: 'average', source: 'csv:north.csv', method: 'expected', usesFallback: false } as const
const plan: JobPlan = {
  pool: 'gpu-hook', zone: 'NORTH', segments: [{ start: NOW, end: NOW + HOUR }, { start: NOW + 3 * HOUR, end: NOW + 4 * HOUR }],
  latestSafeStart: NOW + 5 * HOUR, energyKwh: 0.7, expected: figure, baseline: { ...figure, pool: 'gpu-hook', start: NOW - HOUR }, expectedAvoidedGrams: 0, plannedAt: NOW - HOUR
}
const job: Job = {
  id: JOB_ID, tenantId: 't', name: 'finetune', state: 'dispatched', gpus: 2, durationMinutes: 120, deadline: NOW + 6 * HOUR,
  notBefore: null, interruptible: true, minSegmentMinutes: 60, pools: ['gpu-hook'], zones: [], preferredPool: null, wattsPerGpu: null,
  energyKwh: null, sciUnit: 'job', risk: 'neutral', command: ['python', 'train.py'], payload: { lr: 0.001 }, labels: { team: 'nlp' }, submittedAt: NOW - HOUR, updatedAt: NOW, plan, refusedPools: []
}
const handover: Handover = { job, plan, pool, attempt: 2, ref: null }

async function rejection (p: Promise<unknown>): Promise<WebhookDeliveryError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof WebhookDeliveryError)) throw new Error(`expected a WebhookDeliveryError, got ${String(err)}`)
  expect(err.message).not.toContain('t0ps3cret')
  return err
}

describe('webhook dispatch', () => {
  test('retries 503 twice, then is accepted: three signed deliveries of one message id, fresh timestamps', async () => {
    answers = [503, 503, 200]
    await expect(executor().dispatch(handover, NOW)).resolves.toEqual({ ref: null })
    expect(deliveries).toHaveLength(3)
    expect(deliveries.every(d => d.verified)).toBe(true)
    expect(new Set(deliveries.map(d => d.headers['webhook-id']))).toEqual(new Set([`${JOB_ID}.2.dispatch`]))
    expect(deliveries.map(d => Number(d.headers['webhook-timestamp']))).toEqual([NOW / 1000, NOW / 1000 + 1, NOW / 1000 + 3])
    expect(sleeps).toEqual([1000, 2000])
    expect(deliveries[0]?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(deliveries[0]?.body ?? '')).toEqual({
      type: 'job.dispatch',
      job: {
        id: JOB_ID, attempt: 2, name: 'finetune', command: ['python', 'train.py'], payload: { lr: 0.001 }, gpus: 2, durationMinutes: 120,
        deadline: '2026-11-24T00:00:00.000Z', labels: { team: 'nlp' }, pool: 'gpu-hook',
        plannedStart: '2026-11-23T18:00:00.000Z', plannedEnd: '2026-11-23T22:00:00.000Z'
      },
      callbackUrl: `https://greenshift.example/v1/callbacks/jobs/${JOB_ID}`
    })
  })

  test('a 400 is final: thrown at once, naming the status, without a retry', async () => {
    answers = [400]
    const err = await rejection(executor().dispatch(handover, NOW))
    expect(err).toMatchObject({ status: 400, permanent: true })
    expect(err.message).toMatch(/HTTP 400/)
    expect(deliveries).toHaveLength(1)
    expect(sleeps).toEqual([])
  })

  test('gives up after `attempts` deliveries when every one is a 5xx', async () => {
    answers = [500, 502, 503, 200]
    const err = await rejection(executor().dispatch(handover, NOW))
    expect(err).toMatchObject({ status: 503, permanent: false })
    expect(err.message).toMatch(/gave up after 3 attempts/)
    expect(deliveries).toHaveLength(3)
    expect(sleeps).toEqual([1000, 2000])
  })

  test('waits what a short Retry-After asks on 429 and 408; a long one ends the delivery at once', async () => {
    answers = [{ status: 429, headers: { 'retry-after': '7' } }, 408, 204]
    await executor().dispatch(handover, NOW)
    expect(sleeps).toEqual([7000, 2000])
    sleeps = []
    answers = [{ status: 429, headers: { 'retry-after': '3600' } }]
    expect(await rejection(executor().dispatch(handover, NOW))).toMatchObject({ status: 429, permanent: false })
    expect(sleeps).toEqual([])
  })

  test('retries a dropped connection', async () => {
    answers = ['drop', 200]
    await executor().dispatch(handover, NOW)
    expect(deliveries).toHaveLength(2)
    expect(sleeps).toEqual([1000])
  })

  test('a receiver that does not answer in time counts as a failed delivery', async () => {
    // Only the unanswered request can time out, so a slow machine cannot make this test flaky.
    answers = ['hang']
    const err = await rejection(executor({ attempts: 1, timeoutMs: 50 }).dispatch(handover, NOW))
    expect(err).toMatchObject({ status: null, permanent: false })
    expect(err.message).toMatch(/no answer within 50 ms/)
  })

  test('the scheduler\'s signal ends a delivery at once: no wait for a Retry-After, no further attempt', async () => {
    answers = [{ status: 503, headers: { 'retry-after': '20' } }, 200]
    const stop = new AbortController()
    // The wait before the second delivery lasts until the scheduler's time for the call runs out.
    const sleep = async (_ms: number, signal?: AbortSignal) => await new Promise<void>((_resolve, reject) => {
      signal?.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
      stop.abort(new Error('the pass\'s time for this call ran out'))
    })
    const err = await rejection(executor({ sleep }).dispatch(handover, NOW, stop.signal))
    expect(err).toMatchObject({ status: 503, permanent: false })
    expect(deliveries).toHaveLength(1)
  })

  test('a request under way is aborted by the scheduler\'s signal', async () => {
    answers = ['hang']
    const stop = new AbortController()
    const pending = executor({ attempts: 1 }).dispatch(handover, NOW, stop.signal)
    for (let i = 0; i < 1000 && deliveries.length === 0; i++) await new Promise(resolve => setImmediate(resolve))
    stop.abort(new Error('time is up'))
    const err = await rejection(pending)
    expect(err).toMatchObject({ status: null, permanent: false })
    expect(err.message).toContain('ran out')
  })

  test('a job without planned segments is refused before anything is sent', async () => {
    await expect(executor().dispatch({ ...handover, plan: { ...plan, segments: [] } }, NOW)).rejects.toThrow(/no planned segment/)
    expect(deliveries).toEqual([])
  })
})

describe('webhook cancel', () => {
  test('delivers a signed job.cancel under its own message id, retried like a dispatch', async () => {
    answers = [503, 200]
    await executor().cancel(handover)
    expect(deliveries).toHaveLength(2)
    expect(deliveries.every(d => d.verified && d.headers['webhook-id'] === `${JOB_ID}.2.cancel`)).toBe(true)
    expect(JSON.parse(deliveries[1]?.body ?? '')).toEqual({ type: 'job.cancel', job: { id: JOB_ID, attempt: 2 } })
  })
})

describe('defaultBackoffMs', () => {
  test('doubles from 0.5 s with jitter over its upper half, capped at 30 s', () => {
    expect([1, 2, 3, 4].map(n => defaultBackoffMs(n, () => 0))).toEqual([250, 500, 1000, 2000])
    expect([1, 2, 3, 4].map(n => defaultBackoffMs(n, () => 1))).toEqual([500, 1000, 2000, 4000])
    expect(defaultBackoffMs(20, () => 1)).toBe(30_000)
  })
})

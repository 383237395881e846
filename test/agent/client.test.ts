import { MockAgent } from 'undici'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { AgentApiError, agentClient, type Beat } from '../../src/agent/client.js'

const SERVER = 'http://greenshift.test'
const TOKEN = 'gsa_mock_secret'
const ID = '0b6f2a9e-5c1d-4e8a-9f3b-2d7c6e1a4b50'
const BEAT: Beat = { attempt: 1, claim: 'claim-secret', progress: null, powerW: 500, energyKwh: 0.001 }
const problem = (status: number, title: string, detail = '') => ({ status, title, detail })
const JSON_TYPE = { headers: { 'content-type': 'application/json' } }

let mock: MockAgent
beforeEach(() => { mock = new MockAgent(); mock.disableNetConnect() })
afterEach(async () => { await mock.close() })

/** A client on the mock whose waits only advance a fake clock; `slept` lists them. */
function client () {
  let clock = 0
  const slept: number[] = []
  const api = agentClient({
    server: SERVER + '/', token: TOKEN, dispatcher: mock, random: () => 1, now: () => clock,
    sleep: async ms => { slept.push(ms); clock += ms }
  })
  return { api, slept }
}

const heartbeatPath = `/v1/agent/jobs/${ID}/heartbeat`

describe('agent API client', () => {
  test('sends the bearer token and JSON; 204 is no job', async () => {
    let seen: { auth: unknown, body: unknown } | undefined
    mock.get(SERVER).intercept({ path: '/v1/agent/claim', method: 'POST' }).reply(204, (opts) => {
      seen = { auth: (opts.headers as Record<string, string>).authorization, body: JSON.parse(String(opts.body)) }
      return ''
    })
    expect(await client().api.claim({ agent: 'a', waitSeconds: 0 }, { budgetMs: 0 })).toBeNull()
    expect(seen).toEqual({ auth: `Bearer ${TOKEN}`, body: { agent: 'a', waitSeconds: 0 } })
  })

  test('503s and network errors are retried with doubling backoff; Retry-After is honoured', async () => {
    const pool = mock.get(SERVER)
    pool.intercept({ path: heartbeatPath, method: 'POST' }).reply(503, problem(503, 'Service Unavailable'))
    pool.intercept({ path: heartbeatPath, method: 'POST' }).replyWithError(new Error('ECONNRESET'))
    pool.intercept({ path: heartbeatPath, method: 'POST' }).reply(429, problem(429, 'Too Many Requests'), { headers: { 'retry-after': '7' } })
    pool.intercept({ path: heartbeatPath, method: 'POST' }).reply(200, { cancel: true }, JSON_TYPE)
    const { api, slept } = client()
    expect(await api.heartbeat(ID, BEAT, { budgetMs: 60_000 })).toBe('cancel')
    // random() = 1 takes the whole backoff: 0.5 s, 1 s, then the 7 s the server asked for.
    expect(slept).toEqual([500, 1000, 7000])
  })

  test('gives up when the next wait would overrun the budget', async () => {
    mock.get(SERVER).intercept({ path: heartbeatPath, method: 'POST' }).reply(502, problem(502, 'Bad Gateway')).times(10)
    const { api, slept } = client()
    const failure = api.heartbeat(ID, BEAT, { budgetMs: 2000 })
    await expect(failure).rejects.toMatchObject({ status: 502, transient: true })
    expect(slept).toEqual([500, 1000]) // a third wait of 2 s would end at 3.5 s > 2 s
  })

  test('409 is an answer: the attempt is superseded; other 4xx fail at once, naming the problem but not the token', async () => {
    const pool = mock.get(SERVER)
    pool.intercept({ path: heartbeatPath, method: 'POST' }).reply(409, problem(409, 'Conflict', 'attempt 1 is no longer current'))
    pool.intercept({ path: `/v1/agent/jobs/${ID}/complete`, method: 'POST' }).reply(409, problem(409, 'Conflict'))
    pool.intercept({ path: `/v1/agent/jobs/${ID}/complete`, method: 'POST' }).reply(200, { state: 'succeeded' }, JSON_TYPE)
    pool.intercept({ path: '/v1/agent/claim', method: 'POST' }).reply(401, problem(401, 'Unauthorized', 'unknown or revoked agent token'))
    const { api, slept } = client()
    const end = { attempt: 1, claim: 'claim-secret', exitCode: 0, startedAt: '2030-01-01T00:00:00.000Z', finishedAt: '2030-01-01T01:00:00.000Z', energyKwh: null, samples: 0, detail: null }
    expect(await api.heartbeat(ID, BEAT, { budgetMs: 60_000 })).toBe('superseded')
    expect(await api.complete(ID, end, { budgetMs: 60_000 })).toBe('superseded')
    expect(await api.complete(ID, end, { budgetMs: 60_000 })).toEqual({ state: 'succeeded' })
    const refused = await api.claim({ agent: 'a', waitSeconds: 0 }, { budgetMs: 60_000 }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AgentApiError)
    expect(refused).toMatchObject({ status: 401, transient: false, message: 'POST /v1/agent/claim: HTTP 401 Unauthorized: unknown or revoked agent token' })
    expect(String((refused as Error).message)).not.toContain(TOKEN)
    expect(slept).toEqual([])
  })

  test('an abort ends the retries at once', async () => {
    mock.get(SERVER).intercept({ path: heartbeatPath, method: 'POST' }).reply(503, problem(503, 'Service Unavailable')).times(5)
    const stop = new AbortController()
    const api = agentClient({ server: SERVER, token: TOKEN, dispatcher: mock, sleep: async (_ms, signal) => { stop.abort(); signal?.throwIfAborted() } })
    await expect(api.heartbeat(ID, BEAT, { budgetMs: 60_000, signal: stop.signal })).rejects.toMatchObject({ transient: false, message: expect.stringContaining('aborted while waiting to retry') })
  })
})

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { jobGpus, runAgent, type AgentOptions } from '../../src/agent/agent.js'
import { agentClient } from '../../src/agent/client.js'
import { nvidiaSmiSampler } from '../../src/agent/power.js'
import { CLAIM_SECRET, claimReply, fakeApi, fakeSmiEnv, stepClock, type Answer, type FakeApi, type Received } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'greenshift-agent-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const ID = '0b6f2a9e-5c1d-4e8a-9f3b-2d7c6e1a4b50'
const TOKEN = 'gsa_test_token_never_logged'

let api: FakeApi | undefined
afterEach(async () => { await api?.close(); api = undefined })

/** The fake API answering claims from `claims` in turn (204 when they run out) and the rest with `rest`. */
async function serve (claims: Answer[], rest: (r: Received) => Answer | Promise<Answer> = () => ({ status: 200, body: { cancel: false, state: 'succeeded' } })) {
  api = await fakeApi(r => r.path === '/v1/agent/claim' ? claims.shift() ?? { status: 204 } : rest(r))
  return api
}

/**
 * Runs the agent against `server` with the fake nvidia-smi and 0 s long-polls, the agent and its
 * sampler on one step clock; returns its code and log.
 */
async function agent (server: FakeApi, over: Partial<AgentOptions> = {}) {
  const lines: string[] = []
  const env = fakeSmiEnv()
  const clock = stepClock()
  const code = await runAgent({
    api: agentClient({ server: server.url, token: TOKEN, sleep: async () => {} }),
    pool: 'h100-de',
    name: 'test-agent',
    gpus: [0, 1],
    samplerFor: gpus => nvidiaSmiSampler(gpus, clock, { env }),
    waitSeconds: 0,
    sampleMs: 50,
    graceMs: 5_000,
    once: true,
    env,
    log: line => lines.push(line),
    stop: new AbortController().signal,
    force: new AbortController().signal,
    now: clock,
    sleep: async () => {},
    ...over
  })
  return { code, log: lines.join('\n') }
}

describe('the agent loop', () => {
  test('a job asking for more GPUs than the agent gives says so in words, and runs', async () => {
    const server = await serve([claimReply(ID, ['true'], { gpus: 1 })])
    const none = await agent(server, { gpus: [] })
    expect(none.code).toBe(0)
    expect(none.log).toContain(`job ${ID} asks for 1 GPU; this agent has none (--gpus none): it runs with what there is`)
    expect(server.bodies('/complete')).toEqual([expect.objectContaining({ exitCode: 0 })])
  })

  test('claims a job, heartbeats with progress and power, completes with measured energy, each report with the claim secret', async () => {
    // The job runs until the server has seen a heartbeat with its progress and the sampled power:
    // no race with the first nvidia-smi reading, however slowly the machine spawns it. It prints
    // its environment, which must not hold the claim secret.
    const go = join(dir, 'go')
    const script = 'env; echo 0.5 > "$GREENSHIFT_JOB_PROGRESS_FILE"; while [ ! -e "$1" ]; do sleep 0.02; done'
    const server = await serve([claimReply(ID, ['sh', '-c', script, 'sh', go])], r => {
      if (r.path.endsWith('/heartbeat') && r.body.progress === 0.5 && r.body.powerW === 500) writeFileSync(go, '')
      return { status: 200, body: r.path.endsWith('/heartbeat') ? { cancel: false } : { state: 'succeeded' } }
    })
    const logDir = mkdtempSync(join(dir, 'logs-'))
    const { code, log } = await agent(server, { logDir })
    expect(code).toBe(0)
    expect(server.received.every(r => r.authorization === `Bearer ${TOKEN}`)).toBe(true)
    expect(server.bodies('/claim')).toEqual([{ agent: 'test-agent', waitSeconds: 0, gpus: 2 }])
    expect(server.bodies('/heartbeat').at(-1)).toMatchObject({ attempt: 1, claim: CLAIM_SECRET, progress: 0.5, powerW: 500 })
    expect(server.bodies('/heartbeat').every(b => b.claim === CLAIM_SECRET)).toBe(true)
    const [done] = server.bodies('/complete')
    expect(done).toMatchObject({ attempt: 1, claim: CLAIM_SECRET, exitCode: 0, detail: null })
    const jobLog = readFileSync(join(logDir, `${ID}.1.log`), 'utf8')
    expect(jobLog).toContain(`GREENSHIFT_JOB_ID=${ID}`)
    expect(jobLog).not.toContain(CLAIM_SECRET)
    expect(log).not.toContain(CLAIM_SECRET)
    expect(server.received.at(-1)?.path).toBe(`/v1/agent/jobs/${ID}/complete`)
    // The fake draws 500 W. On the step clock the first sample is the reading right after the start
    // and the last the one right after the end, so the sampled span is exactly the reported run.
    const seconds = (Date.parse(String(done!.finishedAt)) - Date.parse(String(done!.startedAt))) / 1000
    expect(seconds).toBeGreaterThan(0)
    expect((done!.energyKwh as number) * 3.6e6 / 500).toBeCloseTo(seconds, 9)
    expect(done!.samples as number).toBeGreaterThanOrEqual(2)
    expect(log).toMatch(/job 0b6f2a9e-\S+ attempt 1 "test job": exit 0 after [\d.]+ s, [\d.e-]+ kWh GPU energy from \d+ samples; job succeeded/)
    expect(log).not.toContain(TOKEN)
  })

  test('a 409 on heartbeat stops the job at once and does not report it', async () => {
    const server = await serve([claimReply(ID, ['sleep', '30'])], () => ({ status: 409, body: { status: 409, title: 'Conflict', detail: 'attempt 1 is no longer current' } }))
    const { code, log } = await agent(server)
    expect(code).toBe(0)
    expect(server.bodies('/complete')).toEqual([])
    expect(log).toContain('exit 143') // SIGTERM: stopped, not the sleep's own end 30 s on
    expect(log).toContain('not reported')
  })

  test('a 403 on heartbeat (the run is not bound to this claim) stops the job and does not report it', async () => {
    const server = await serve([claimReply(ID, ['sleep', '30'])], () => ({ status: 403, body: { status: 403, title: 'Forbidden', detail: 'claim is not the secret this run\'s claim returned' } }))
    const { code, log } = await agent(server)
    expect(code).toBe(0)
    expect(server.bodies('/complete')).toEqual([])
    expect(log).toContain('exit 143')
  })

  test('a cancel on heartbeat stops the job and reports how it ended', async () => {
    const server = await serve([claimReply(ID, ['sleep', '30'])], r => ({ status: 200, body: r.path.endsWith('/heartbeat') ? { cancel: true } : { state: 'cancelled' } }))
    expect((await agent(server)).code).toBe(0)
    expect(server.bodies('/complete')).toMatchObject([{ exitCode: 143, detail: 'cancelled by the server' }])
  })

  test('SIGINT during a job: it is stopped, reported as stopped by the agent, and the agent exits', async () => {
    const stop = new AbortController()
    const server = await serve([claimReply(ID, ['sleep', '30'])], r => {
      if (r.path.endsWith('/heartbeat')) stop.abort()
      return { status: 200, body: { cancel: false, state: 'failed' } }
    })
    const { code } = await agent(server, { once: false, stop: stop.signal })
    expect(code).toBe(0)
    expect(server.bodies('/complete')).toMatchObject([{ exitCode: 143, detail: 'the agent was stopped before the job finished' }])
    expect(server.bodies('/claim')).toHaveLength(1)
  })

  test('a 503 on complete is retried until the report lands', async () => {
    let failures = 2
    const server = await serve([claimReply(ID, ['true'])], r => {
      if (r.path.endsWith('/complete') && failures-- > 0) return { status: 503, body: { status: 503, title: 'Service Unavailable' } }
      return { status: 200, body: { state: 'succeeded' } }
    })
    const { code, log } = await agent(server)
    expect(code).toBe(0)
    expect(server.bodies('/complete')).toHaveLength(3)
    expect(log).toContain('job succeeded')
  })

  test('204 with --once --wait 0 exits 0 after one claim; a refused token exits 1 without showing it', async () => {
    const idle = await serve([])
    expect((await agent(idle)).code).toBe(0)
    expect(idle.bodies('/claim')).toHaveLength(1)
    await idle.close()

    api = await fakeApi(() => ({ status: 401, body: { status: 401, title: 'Unauthorized', detail: 'unknown or revoked agent token' } }))
    const refused = await agent(api, { once: false })
    expect(refused.code).toBe(1)
    expect(refused.log).toContain('HTTP 401 Unauthorized: unknown or revoked agent token')
    expect(refused.log).not.toContain(TOKEN)
  })

  test('a job without a command is reported failed without running anything', async () => {
    const server = await serve([claimReply(ID, null)], () => ({ status: 200, body: { state: 'failed' } }))
    expect((await agent(server)).code).toBe(0)
    expect(server.bodies('/complete')).toMatchObject([{ exitCode: null, energyKwh: null, samples: 0, detail: 'the job has no command to run' }])
    expect(existsSync(join(dir, `${ID}.1.log`))).toBe(false)
  })
})

describe('claim replies', () => {
  test('a reply without a claim secret is refused: no report could be accepted', async () => {
    const reply = claimReply(ID, ['true'])
    const server = await serve([{ status: 200, body: { ...(reply.body as Record<string, unknown>), claim: undefined } }])
    const { code, log } = await agent(server)
    expect(code).toBe(1)
    expect(log).toContain('bad claim reply: no claim secret')
    expect(server.bodies('/complete')).toEqual([])
  })

  test('a job id that could escape the log dir is refused and the agent exits 1', async () => {
    const server = await serve([claimReply('../../etc/cron.d/x', ['true'])])
    const { code, log } = await agent(server, { logDir: dir })
    expect(code).toBe(1)
    expect(log).toContain('bad claim reply: job.id is not a job id')
    expect(server.bodies('/complete')).toEqual([])
  })
})

describe('jobGpus', () => {
  test('a job gets the first N of the agent GPUs; a host without GPUs leaves them unset', () => {
    expect(jobGpus([4, 5, 6, 7], 2)).toEqual([4, 5])
    expect(jobGpus([0, 1], 8)).toEqual([0, 1])
    expect(jobGpus([0, 1], 0)).toEqual([])
    expect(jobGpus(null, 2)).toBeNull()
  })
})

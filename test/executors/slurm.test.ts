import { readFileSync } from 'node:fs'
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { SlurmError } from '../../src/executors/slurm-client.js'
import { createSlurmExecutor, SLURM_LEAD_MS, type SlurmExecutorOptions, type SlurmSpec } from '../../src/executors/slurm.js'
import { handover } from './slurm-handover.js'

const ORIGIN = 'http://slurm.test:6820'
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.test-token-5f3a9c'
const SPEC: SlurmSpec = { kind: 'slurm', url: `${ORIGIN}/`, partition: 'pool-b', user: 'svc-greenshift', tokenEnv: 'SLURM_JWT' }
/** 2026-11-23 05:40 UTC, a little before the recorded jobs. */
const NOW = 1_795_412_400_000
const HOUR = 3_600_000
/** Markers of the jobs in jobs.resp.json: 1 FAILED, 2 RUNNING, 3 PENDING. */
const JOB1 = '6f1c2a4e-0b9d-4c8e-9a51-2d7c1e3f4a10'
const JOB2 = '0c9b7e21-5a3d-4f6e-8b12-7e4d9c0a1b23'
const JOB3 = 'b2e4f6a8-1c3d-4e5f-9a7b-8c6d4e2f0a19'

/** A recorded body from test/fixtures/slurm/ (provenance in its README). */
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/slurm/${name}`, import.meta.url), 'utf8')

interface Seen { method: string, path: string, headers: Record<string, string>, body: unknown }

let agent: MockAgent

/** A MockAgent that records every request; `reply` queues one answer to `method path`. */
function slurm (over: Partial<SlurmExecutorOptions> = {}) {
  agent = new MockAgent()
  agent.disableNetConnect()
  const seen: Seen[] = []
  const sleeps: number[] = []
  const reply = (method: string, path: string, status: number, body: string) =>
    agent.get(ORIGIN).intercept({ method, path }).reply(opts => {
      seen.push({ method: opts.method, path: opts.path, headers: { ...opts.headers as Record<string, string> }, body: typeof opts.body === 'string' ? JSON.parse(opts.body) : undefined })
      return { statusCode: status, data: body, responseOptions: { headers: { 'content-type': 'application/json' } } }
    })
  const executor = createSlurmExecutor(SPEC, { token: TOKEN, dispatcher: agent, sleep: async ms => { sleeps.push(ms) }, ...over })
  return { seen, sleeps, reply, executor, calls: () => seen.map(s => `${s.method} ${s.path}`) }
}

/** The SlurmError a call rejects with; neither its message nor its stack holds the token. */
async function failure (call: Promise<unknown>): Promise<SlurmError> {
  const err = await call.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof SlurmError)) throw new Error(`expected a SlurmError, got ${String(err)}`)
  expect(`${err.message} ${err.stack ?? ''}`).not.toContain(TOKEN)
  return err
}

afterEach(async () => {
  agent.assertNoPendingInterceptors()
  await agent.close()
})

describe('Slurm executor dispatch', () => {
  it('submits into the partition with a uts begin_time, the marker, the environment and a quoted argv', async () => {
    const { seen, reply, executor, calls } = slurm()
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    reply('POST', '/slurm/v0.0.38/job/submit', 200, fixture('submit-deferred.resp.json'))
    const hostile = ["it's", '$(touch /tmp/pwned)', '`id`; rm -rf /', 'a\nb', '"q"', '', '*']
    const h = handover(SPEC, NOW + 2 * HOUR + 500, { name: 'train\nllama', gpus: 2, durationMinutes: 90, command: ['python', 'train.py', ...hostile] })
    expect(await executor.dispatch(h, NOW)).toEqual({ ref: '1' })
    expect(calls()).toEqual(['GET /slurm/v0.0.38/jobs', 'POST /slurm/v0.0.38/job/submit'])
    const submit = seen[1]
    expect(submit?.headers).toMatchObject({ 'x-slurm-user-name': 'svc-greenshift', 'x-slurm-user-token': TOKEN, 'content-type': 'application/json' })
    expect(submit?.body).toEqual({
      script: `#!/bin/bash\nexec 'python' 'train.py' 'it'\\''s' '$(touch /tmp/pwned)' '\`id\`; rm -rf /' 'a\nb' '"q"' '' '*'\n`,
      job: {
        name: 'train llama',
        partition: 'pool-b',
        comment: `greenshift:${h.job.id}:1`,
        time_limit: 90 + 23,
        gpus: '2',
        begin_time: `uts${(NOW + 2 * HOUR) / 1000 + 1}`,
        environment: { PATH: expect.stringContaining('/usr/bin') as string, GREENSHIFT_JOB_ID: h.job.id, GREENSHIFT_JOB_ATTEMPT: '1' },
        current_working_directory: '/tmp',
        standard_output: '/tmp/greenshift-%j.out'
      }
    })
  })

  it('omits begin_time when the planned start has come, and uses workDir', async () => {
    const { seen, reply, executor } = slurm({ workDir: '/scratch/gs/' })
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    reply('POST', '/slurm/v0.0.38/job/submit', 200, fixture('submit-deferred.resp.json'))
    await executor.dispatch(handover(SPEC, NOW - 60_000), NOW)
    const job = (seen[1]?.body as { job: Record<string, unknown> }).job
    expect(job.begin_time).toBeUndefined()
    expect(job).toMatchObject({ current_working_directory: '/scratch/gs/', standard_output: '/scratch/gs/greenshift-%j.out', time_limit: 40 })
  })

  it('finds the job a crashed leader already submitted by its marker, and submits nothing', async () => {
    const { reply, executor, calls } = slurm()
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    expect(await executor.dispatch(handover(SPEC, NOW + HOUR, { id: JOB2 }, { attempt: 2 }), NOW)).toEqual({ ref: '2' })
    expect(calls()).toEqual(['GET /slurm/v0.0.38/jobs'])
  })

  it('keeps a known ref that carries the marker, checking only that job', async () => {
    const { reply, executor, calls } = slurm()
    reply('GET', '/slurm/v0.0.38/job/2', 200, fixture('job-running.resp.json'))
    expect(await executor.dispatch(handover(SPEC, NOW, { id: JOB2 }, { attempt: 2, ref: '2' }), NOW)).toEqual({ ref: '2' })
    expect(calls()).toEqual(['GET /slurm/v0.0.38/job/2'])
  })

  it('submits again when Slurm forgot the ref (500, 2017) and no job carries the marker', async () => {
    const { reply, executor, calls } = slurm()
    reply('GET', '/slurm/v0.0.38/job/7', 500, fixture('job-unknown.resp.json'))
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    reply('POST', '/slurm/v0.0.38/job/submit', 200, fixture('submit-deferred.resp.json'))
    expect(await executor.dispatch(handover(SPEC, NOW + HOUR, {}, { ref: '7' }), NOW)).toEqual({ ref: '1' })
    expect(calls()).toEqual(['GET /slurm/v0.0.38/job/7', 'GET /slurm/v0.0.38/jobs', 'POST /slurm/v0.0.38/job/submit'])
  })

  it('never takes a ref that now names another job (Slurm was reset) for ours', async () => {
    const { reply, executor } = slurm()
    reply('GET', '/slurm/v0.0.38/job/2', 200, fixture('job-running.resp.json'))
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    expect(await executor.dispatch(handover(SPEC, NOW, { id: JOB3 }, { ref: '2' }), NOW)).toEqual({ ref: '3' })
  })

  it('names Slurm\'s error on a rejected submit, and does not retry a submit that got no answer', async () => {
    const { reply, executor, sleeps } = slurm()
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    reply('POST', '/slurm/v0.0.38/job/submit', 500, fixture('submit-bad-partition.resp.json'))
    const err = await failure(executor.dispatch(handover(SPEC, NOW + HOUR), NOW))
    expect(err.code).toBe('rejected')
    expect(err.message).toBe('Slurm POST /slurm/v0.0.38/job/submit: HTTP 500: Invalid partition name specified (2000)')
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    reply('POST', '/slurm/v0.0.38/job/submit', 503, 'busy')
    expect((await failure(executor.dispatch(handover(SPEC, NOW + HOUR), NOW))).code).toBe('unreachable')
    expect(sleeps).toEqual([])
  })
})

describe('Slurm refusals: for good, or not now', () => {
  it('a 400 "Failure during parsing" (GPUs asked of a cluster without GPU GRES) is permanent; a 500 and a 503 are not', async () => {
    const { reply, executor } = slurm()
    const gres = { errors: [{ error: 'Invalid generic resource (gres) specification', error_code: 2072 }, { error: 'Failure during parsing', error_code: 9001 }] }
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    reply('POST', '/slurm/v0.0.38/job/submit', 400, JSON.stringify(gres))
    const refused = await failure(executor.dispatch(handover(SPEC, NOW + HOUR), NOW))
    expect(refused).toMatchObject({ code: 'rejected', permanent: true })
    expect(refused.message).toContain('Failure during parsing')
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    reply('POST', '/slurm/v0.0.38/job/submit', 500, fixture('submit-bad-partition.resp.json'))
    expect(await failure(executor.dispatch(handover(SPEC, NOW + HOUR), NOW))).toMatchObject({ code: 'rejected', permanent: false })
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    reply('POST', '/slurm/v0.0.38/job/submit', 503, 'busy')
    expect(await failure(executor.dispatch(handover(SPEC, NOW + HOUR), NOW))).toMatchObject({ code: 'unreachable', permanent: false })
  })
})

describe('Slurm executor reschedule and cancel', () => {
  it('moves a held job\'s begin_time, finding it by marker', async () => {
    const { seen, reply, executor, calls } = slurm()
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    reply('POST', '/slurm/v0.0.38/job/3', 200, fixture('update-begin.resp.json'))
    await executor.reschedule?.(handover(SPEC, NOW + HOUR, { id: JOB3 }), NOW + 3 * HOUR)
    expect(calls()).toEqual(['GET /slurm/v0.0.38/jobs', 'POST /slurm/v0.0.38/job/3'])
    expect(seen[1]?.body).toEqual({ begin_time: `uts${(NOW + 3 * HOUR) / 1000}` })
  })

  it('fails to move a job that already runs, naming Slurm\'s reason', async () => {
    const { reply, executor } = slurm()
    reply('GET', '/slurm/v0.0.38/job/2', 200, fixture('job-running.resp.json'))
    reply('POST', '/slurm/v0.0.38/job/2', 500, fixture('update-running.resp.json'))
    const err = await failure(executor.reschedule?.(handover(SPEC, NOW, { id: JOB2 }, { attempt: 2, ref: '2' }), NOW + HOUR) ?? Promise.resolve())
    expect(err.message).toContain('Job is no longer pending execution (2073)')
  })

  it('cancels by ref, treats a purged job (2017) as cancelled, and has nothing to cancel without a job', async () => {
    const { reply, executor, calls } = slurm()
    reply('GET', '/slurm/v0.0.38/job/2', 200, fixture('job-running.resp.json'))
    reply('DELETE', '/slurm/v0.0.38/job/2', 200, fixture('cancel.resp.json'))
    await executor.cancel(handover(SPEC, NOW, { id: JOB2 }, { attempt: 2, ref: '2' }))
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    reply('DELETE', '/slurm/v0.0.38/job/3', 500, fixture('job-unknown.resp.json'))
    await executor.cancel(handover(SPEC, NOW, { id: JOB3 }))
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    await executor.cancel(handover(SPEC, NOW))
    expect(calls()).toEqual([
      'GET /slurm/v0.0.38/job/2', 'DELETE /slurm/v0.0.38/job/2',
      'GET /slurm/v0.0.38/jobs', 'DELETE /slurm/v0.0.38/job/3',
      'GET /slurm/v0.0.38/jobs'
    ])
  })
})

describe('Slurm executor poll', () => {
  it('reports a running job with its start, and a failed one with its decoded exit code', async () => {
    const { reply, executor } = slurm()
    reply('GET', '/slurm/v0.0.38/job/2', 200, fixture('job-running.resp.json'))
    expect(await executor.poll?.(handover(SPEC, NOW, { id: JOB2 }, { attempt: 2, ref: '2' }))).toEqual({
      state: 'running', startedAt: 1_795_438_944_000, finishedAt: null, exitCode: null, energyKwh: null, detail: 'Slurm job 2 RUNNING'
    })
    reply('GET', '/slurm/v0.0.38/job/1', 200, fixture('job-failed.resp.json'))
    expect(await executor.poll?.(handover(SPEC, NOW, { id: JOB1 }, { ref: '1' }))).toEqual({
      state: 'failed', startedAt: 1_795_438_943_000, finishedAt: 1_795_438_943_000, exitCode: 3, energyKwh: null, detail: 'Slurm job 1 FAILED (NonZeroExitCode)'
    })
  })

  it('finds a job by its marker when the ref was never stored, in one request', async () => {
    const { reply, executor, calls } = slurm()
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    expect(await executor.poll?.(handover(SPEC, NOW, { id: JOB1 }))).toMatchObject({ state: 'failed', exitCode: 3 })
    expect(calls()).toEqual(['GET /slurm/v0.0.38/jobs'])
  })

  it('reports a job Slurm no longer knows (500, 2017) as failed', async () => {
    const { reply, executor } = slurm()
    reply('GET', '/slurm/v0.0.38/job/999999', 500, fixture('job-unknown.resp.json'))
    expect(await executor.poll?.(handover(SPEC, NOW, {}, { ref: '999999' }))).toEqual({
      state: 'failed', startedAt: null, finishedAt: null, exitCode: null, energyKwh: null, detail: 'Slurm no longer knows job 999999'
    })
  })

  it('reports a ref that names another job as failed, and refuses to poll a job never dispatched', async () => {
    const { reply, executor } = slurm()
    reply('GET', '/slurm/v0.0.38/job/2', 200, fixture('job-running.resp.json'))
    const report = await executor.poll?.(handover(SPEC, NOW, {}, { ref: '2' }))
    expect(report).toMatchObject({ state: 'failed', detail: expect.stringContaining('Slurm lost greenshift\'s job') as string })
    reply('GET', '/slurm/v0.0.38/jobs', 200, fixture('jobs.resp.json'))
    expect((await failure(executor.poll?.(handover(SPEC, NOW)) ?? Promise.resolve())).message).toMatch(/no job greenshift:.*dispatch it first/)
  })
})

describe('Slurm executor errors', () => {
  it('a bad token (HTTP 500, -1) is an error with a hint, never "unknown job"', async () => {
    const { reply, executor } = slurm()
    reply('GET', '/slurm/v0.0.38/job/2', 500, fixture('job-bad-token.resp.json'))
    const err = await failure(executor.poll?.(handover(SPEC, NOW, { id: JOB2 }, { attempt: 2, ref: '2' })) ?? Promise.resolve())
    expect(err.code).toBe('rejected')
    expect(err.message).toBe('Slurm GET /slurm/v0.0.38/job/2: HTTP 500: Unspecified error (-1): Unable to find JobId=2 (slurmrestd answers an invalid or expired X-SLURM-USER-TOKEN this way too)')
  })

  it('no token is unauthorized; a reply echoing the token is redacted', async () => {
    const { reply, executor } = slurm()
    reply('GET', '/slurm/v0.0.38/jobs', 401, 'Authentication failure')
    expect((await failure(executor.cancel(handover(SPEC, NOW)))).code).toBe('unauthorized')
    reply('GET', '/slurm/v0.0.38/jobs', 400, `bad header X-SLURM-USER-TOKEN: ${TOKEN}`)
    expect((await failure(executor.cancel(handover(SPEC, NOW)))).message).toContain('X-SLURM-USER-TOKEN: ***')
  })

  it('retries a repeatable call twice on 502-504 with backoff, then gives up naming the status', async () => {
    const { reply, executor, sleeps } = slurm()
    reply('GET', '/slurm/v0.0.38/job/2', 503, '')
    reply('GET', '/slurm/v0.0.38/job/2', 200, fixture('job-running.resp.json'))
    expect((await executor.poll?.(handover(SPEC, NOW, { id: JOB2 }, { attempt: 2, ref: '2' })))?.state).toBe('running')
    for (let i = 0; i < 3; i++) reply('GET', '/slurm/v0.0.38/jobs', 502, '')
    const err = await failure(executor.cancel(handover(SPEC, NOW)))
    expect([err.code, err.message]).toEqual(['unreachable', 'Slurm GET /slurm/v0.0.38/jobs: HTTP 502'])
    expect(sleeps).toEqual([250, 250, 500])
  })

  it('is a Slurm executor that takes jobs 48 h ahead unless told otherwise', () => {
    expect(slurm().executor).toMatchObject({ kind: 'slurm', leadMs: SLURM_LEAD_MS })
    expect(SLURM_LEAD_MS).toBe(48 * HOUR)
    expect(createSlurmExecutor(SPEC, { token: TOKEN, leadMs: HOUR }).leadMs).toBe(HOUR)
  })
})

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { BeatAnswer } from '../../src/agent/client.js'
import type { AgentJob } from '../../src/agent/job.js'
import { nvidiaSmiSampler, type PowerSample, type PowerSampler } from '../../src/agent/power.js'
import { readProgress, runJob, type BeatReport, type RunContext } from '../../src/agent/runner.js'
import { fakeSmiEnv } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'greenshift-runner-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const job = (command: string[] | null, id = 'job-1'): AgentJob => ({
  id, attempt: 2, name: 'test', command, payload: { lr: 0.001, note: 'ünïcode' }, gpus: 2, durationMinutes: 60, deadline: '2030-01-01T00:00:00.000Z', labels: {}
})

/** A context for `command` whose heartbeats are recorded and answered by `answer`. */
function context (command: string[] | null, over: Partial<RunContext> & { answer?: (b: BeatReport) => BeatAnswer } = {}) {
  const beats: BeatReport[] = []
  const { answer = () => 'continue', ...rest } = over
  const ctx: RunContext = {
    job: job(command),
    gpus: [0, 1],
    sampler: null,
    sampleMs: 50,
    heartbeatMs: 50,
    graceMs: 5_000,
    beat: async report => { beats.push(report); return answer(report) },
    stop: new AbortController().signal,
    env: process.env,
    logDir: dir,
    now: Date.now,
    ...rest
  }
  return { ctx, beats }
}

const logOf = (id = 'job-1') => readFileSync(join(dir, `${id}.2.log`), 'utf8')

describe('runJob', () => {
  test('reports the exit code of a failing command', async () => {
    const { ctx } = context(['sh', '-c', 'exit 3'])
    const result = await runJob(ctx)
    expect(result).toMatchObject({ exitCode: 3, detail: null, stoppedBy: null, energyKwh: null, samples: 0 })
    expect(result.finishedAt).toBeGreaterThanOrEqual(result.startedAt)
  })

  test('passes the run to the job in its environment, output to the log file', async () => {
    const script = 'printf "%s|%s|%s|%s|%s\\n" "$GREENSHIFT_JOB_ID" "$GREENSHIFT_ATTEMPT" "$GREENSHIFT_PAYLOAD" "${CUDA_VISIBLE_DEVICES-unset}" "$KEPT"; echo oops >&2'
    const env = { ...process.env, KEPT: 'from-agent', CUDA_VISIBLE_DEVICES: '7' }
    expect((await runJob(context(['sh', '-c', script], { env }).ctx)).exitCode).toBe(0)
    expect(logOf()).toBe('job-1|2|{"lr":0.001,"note":"ünïcode"}|0,1|from-agent\noops\n')

    const none = context(['sh', '-c', script], { env, gpus: null, job: job(['sh', '-c', script], 'job-2') }).ctx
    await runJob(none)
    expect(logOf('job-2')).toContain('|unset|') // a host without GPUs does not pass the agent's own value on
  })

  test('heartbeats carry the progress the job wrote; a cancel stops it with SIGTERM', async () => {
    const script = 'echo 0.25 > "$GREENSHIFT_PROGRESS_FILE"; exec sleep 30'
    const { ctx, beats } = context(['sh', '-c', script], { answer: b => b.progress === 0.25 ? 'cancel' : 'continue' })
    const result = await runJob(ctx)
    expect(beats.at(-1)?.progress).toBe(0.25)
    expect(result).toMatchObject({ exitCode: 143, stoppedBy: 'cancel', detail: 'cancelled by the server' })
  })

  test('the agent stopping kills a sleep 30 within seconds; SIGKILL follows for a job ignoring SIGTERM', async () => {
    const stop = new AbortController()
    const begun = Date.now()
    const running = runJob(context(['sleep', '30'], { stop: stop.signal }).ctx)
    stop.abort()
    expect(await running).toMatchObject({ exitCode: 143, stoppedBy: 'stop' })
    expect(Date.now() - begun).toBeLessThan(5_000)

    const stubborn = runJob(context(['sh', '-c', 'trap "" TERM; sleep 30'], { answer: () => 'superseded', graceMs: 200 }).ctx)
    expect(await stubborn).toMatchObject({ exitCode: 137, stoppedBy: 'superseded' })
    expect(Date.now() - begun).toBeLessThan(10_000)
  })

  test('a command that cannot start, or no command, is reported with a detail and no exit code', async () => {
    expect(await runJob(context(['/nonexistent/train']).ctx)).toMatchObject({ exitCode: null, energyKwh: null, detail: expect.stringContaining('could not start "/nonexistent/train"') })
    expect(await runJob(context(null).ctx)).toMatchObject({ exitCode: null, detail: 'the job has no command to run' })
  })

  test('energy from the fake nvidia-smi is 2 × 250 W over the sampled span, which covers the run', async () => {
    const seen: PowerSample[] = []
    const smi = nvidiaSmiSampler([0, 1], Date.now, { env: fakeSmiEnv() })
    const sampler: PowerSampler = { sample: async () => { const s = await smi.sample(); if (s !== null) seen.push(s); return s } }
    const { ctx, beats } = context(['sleep', '1'], { sampler, sampleMs: 100, heartbeatMs: 200 })
    const result = await runJob(ctx)
    const first = seen[0]!
    const last = seen.at(-1)!
    // Constant power makes the trapezoid exact: 500 W × the span between first and last sample.
    expect(result.energyKwh).toBeCloseTo(500 * (last.at - first.at) / 1000 / 3.6e6, 12)
    expect(result.samples).toBe(seen.length)
    // The first sample is taken right after the spawn and the last right after the exit, each
    // within one fake nvidia-smi call (a few ms; 250 ms allows for a loaded 2-core CI machine),
    // so the energy is that of 500 W over the run's 1 s give or take 0.25 s of 500 W.
    const runKwh = 500 * (result.finishedAt - result.startedAt) / 1000 / 3.6e6
    expect(Math.abs(result.energyKwh! - runKwh)).toBeLessThan(500 * 0.25 / 3.6e6)
    expect(beats.some(b => b.powerW === 500)).toBe(true)
  })
})

describe('readProgress', () => {
  test('takes the last line when it is a number in 0..1', async () => {
    const file = join(dir, 'progress')
    for (const [text, value] of [['0.5\n', 0.5], ['0.1\n0.2\n\n', 0.2], ['1', 1], ['', null], ['50%', null], ['1.5', null], ['-0.1', null], ['0x1', null]] as const) {
      writeFileSync(file, text)
      expect(await readProgress(file)).toBe(value)
    }
    expect(await readProgress(join(dir, 'missing'))).toBeNull()
  })
})

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { BeatAnswer } from '../../src/agent/client.js'
import type { AgentJob } from '../../src/agent/job.js'
import { nvidiaSmiSampler, type PowerSample, type PowerSampler } from '../../src/agent/power.js'
import { lookupUser } from '../../src/agent/job-env.js'
import { readProgress, runJob, type BeatReport, type RunContext } from '../../src/agent/runner.js'
import { fakeSmiEnv, stepClock } from './helpers.js'

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
    now: stepClock(),
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
    const script = 'printf "%s|%s|%s|%s|%s\\n" "$GREENSHIFT_JOB_ID" "$GREENSHIFT_JOB_ATTEMPT" "$GREENSHIFT_JOB_PAYLOAD" "${CUDA_VISIBLE_DEVICES-unset}" "$KEPT"; echo oops >&2'
    const env = { ...process.env, KEPT: 'from-agent', CUDA_VISIBLE_DEVICES: '7' }
    expect((await runJob(context(['sh', '-c', script], { env, passEnv: ['KEPT'] }).ctx)).exitCode).toBe(0)
    expect(logOf()).toBe('job-1|2|{"lr":0.001,"note":"ünïcode"}|0,1|from-agent\noops\n')

    const none = context(['sh', '-c', script], { env, gpus: null, job: job(['sh', '-c', script], 'job-2') }).ctx
    await runJob(none)
    expect(logOf('job-2')).toContain('|unset|') // a host without GPUs does not pass the agent's own value on
  })

  test('the job sees neither the agent token nor other variables of the agent, only PATH, HOME and what --pass-env names', async () => {
    const env = { PATH: process.env.PATH, HOME: '/home/agent', GREENSHIFT_AGENT_TOKEN: 'gsa_secret_token', SECRET_X: 'hunter2', SITE_PROXY: 'http://proxy:3128' }
    const ctx = context(['env'], { env, passEnv: ['SITE_PROXY', 'GREENSHIFT_AGENT_TOKEN'], job: job(['env'], 'env-1') }).ctx
    expect((await runJob(ctx)).exitCode).toBe(0)
    const seen = Object.fromEntries(logOf('env-1').trim().split('\n').map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    expect(logOf('env-1')).not.toContain('gsa_secret_token')
    expect(logOf('env-1')).not.toContain('hunter2')
    expect(Object.keys(seen).sort()).toEqual(['CUDA_VISIBLE_DEVICES', 'GREENSHIFT_JOB_ATTEMPT', 'GREENSHIFT_JOB_ID', 'GREENSHIFT_JOB_PAYLOAD', 'GREENSHIFT_JOB_PROGRESS_FILE', 'HOME', 'PATH', 'SITE_PROXY'])
    expect(seen).toMatchObject({ PATH: process.env.PATH, HOME: '/home/agent', SITE_PROXY: 'http://proxy:3128', GREENSHIFT_JOB_ID: 'env-1', GREENSHIFT_JOB_ATTEMPT: '2' })
  })

  // Needs root to start a job as another user; CI and these machines run the tests as root.
  test.skipIf(process.getuid?.() !== 0)('--run-as: the job runs as nobody, with its HOME and no supplementary groups, writes its progress and cannot read the agent\'s environment', async () => {
    const user = lookupUser('nobody')
    if (typeof user === 'string') throw new Error(user)
    const script = 'id -u; id -G; echo "$HOME"; echo 0.5 > "$GREENSHIFT_JOB_PROGRESS_FILE" && echo progress-written; cat /proc/$PPID/environ >/dev/null 2>&1 && echo environ-read || echo environ-refused'
    const command = ['sh', '-c', script]
    const ctx = context(command, { user, job: job(command, 'run-as-1') }).ctx
    expect((await runJob(ctx)).exitCode).toBe(0)
    expect(logOf('run-as-1')).toBe(`${user.uid}\n${user.gid}\n${user.home}\nprogress-written\nenviron-refused\n`)
  })

  test('heartbeats carry the progress the job wrote; a cancel stops it with SIGTERM', async () => {
    const script = 'echo 0.25 > "$GREENSHIFT_JOB_PROGRESS_FILE"; exec sleep 30'
    const { ctx, beats } = context(['sh', '-c', script], { answer: b => b.progress === 0.25 ? 'cancel' : 'continue' })
    const result = await runJob(ctx)
    expect(beats.at(-1)?.progress).toBe(0.25)
    expect(result).toMatchObject({ exitCode: 143, stoppedBy: 'cancel', detail: 'cancelled by the server' })
  })

  test('the agent stopping kills a sleep 30 with SIGTERM; SIGKILL follows the grace for a job ignoring SIGTERM', async () => {
    const stop = new AbortController()
    const running = runJob(context(['sleep', '30'], { stop: stop.signal }).ctx)
    stop.abort()
    expect(await running).toMatchObject({ exitCode: 143, stoppedBy: 'stop' })

    // Superseded only once the job says (by its progress) that it ignores SIGTERM: a SIGTERM that
    // reached the shell before its trap would end it with 143 and prove nothing about the SIGKILL.
    const script = 'trap "" TERM; echo 0.5 > "$GREENSHIFT_JOB_PROGRESS_FILE"; sleep 30'
    const stubborn = runJob(context(['sh', '-c', script], { answer: b => b.progress === 0.5 ? 'superseded' : 'continue', graceMs: 200 }).ctx)
    expect(await stubborn).toMatchObject({ exitCode: 137, stoppedBy: 'superseded' })
  })

  test('a command that cannot start, or no command, is reported with a detail and no exit code', async () => {
    expect(await runJob(context(['/nonexistent/train']).ctx)).toMatchObject({ exitCode: null, energyKwh: null, detail: expect.stringContaining('could not start "/nonexistent/train"') })
    expect(await runJob(context(null).ctx)).toMatchObject({ exitCode: null, detail: 'the job has no command to run' })
  })

  test('energy from the fake nvidia-smi is 2 × 250 W over the sampled span, which covers the run', async () => {
    const seen: PowerSample[] = []
    const clock = stepClock()
    const smi = nvidiaSmiSampler([0, 1], clock, { env: fakeSmiEnv() })
    const sampler: PowerSampler = { sample: async () => { const s = await smi.sample(); if (s !== null) seen.push(s); return s } }
    // The job ends once a heartbeat has carried the sampled power, however long the first sample took.
    const go = join(dir, 'sampled')
    const script = 'while [ ! -e "$1" ]; do sleep 0.02; done'
    const answer = (b: BeatReport): BeatAnswer => { if (b.powerW === 500) writeFileSync(go, ''); return 'continue' }
    const { ctx, beats } = context(['sh', '-c', script, 'sh', go], { sampler, sampleMs: 100, heartbeatMs: 50, now: clock, answer })
    const result = await runJob(ctx)
    const first = seen[0]!
    const last = seen.at(-1)!
    // On the one step clock, the first sample is the reading right after the start and the last the
    // one right after the exit: the sampled span covers the run, shifted by one reading.
    expect([first.at, last.at]).toEqual([result.startedAt + 1000, result.finishedAt + 1000])
    // Constant power makes the trapezoid exact: 500 W × the span between first and last sample.
    expect(result.energyKwh).toBeCloseTo(500 * (last.at - first.at) / 1000 / 3.6e6, 12)
    expect(result.samples).toBe(seen.length)
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

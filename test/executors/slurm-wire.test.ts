import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { beginTime, describeErrors, readErrors, readJobs, type SlurmJob } from '../../src/executors/slurm-api.js'
import { energyKwhOf, exitCodeOf, runState, toReport } from '../../src/executors/slurm-report.js'
import { batchScript, NO_COMMAND_EXIT, timeLimitMinutes } from '../../src/executors/slurm-submit.js'

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/slurm/${name}`, import.meta.url), 'utf8'))
const recorded = (name: string): SlurmJob => {
  const job = readJobs(fixture(name))[0]
  if (job === undefined) throw new Error(`${name} has no job`)
  return job
}
/** Runs a batch script the way slurmd does (bash reading the file), without Slurm. */
const run = (script: string) => spawnSync('bash', ['-s'], { input: script, encoding: 'utf8' })

describe('batch scripts', () => {
  it('hands every argv word to the command unchanged, however hostile', () => {
    const words = ["it's", '$(echo pwned)', '`id`; exit 9', 'a\nb', '"q" \\', '', '*', '$HOME', '!!', "''", 'x\'"\'']
    const result = run(batchScript('job-1', ['printf', '%s\\0', ...words]))
    expect(result.status).toBe(0)
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(words)
  })

  it('keeps the command\'s exit status as the job\'s', () => {
    expect(run(batchScript('job-1', ['bash', '-c', 'exit 3'])).status).toBe(3)
  })

  it('fails clearly, with exit 64, a job without a usable command', () => {
    for (const [command, why] of [[null, 'has no command'], [[], 'has no command'], [['echo', 'a\0b'], 'has a NUL byte']] as const) {
      const result = run(batchScript("o'brien", command))
      expect([result.status, result.stderr]).toEqual([NO_COMMAND_EXIT, `greenshift: job o'brien ${why}${why === 'has a NUL byte' ? ' in its command' : ''}; nothing to run\n`])
    }
  })
})

describe('submit fields', () => {
  it('gives the time limit at least 10 minutes or a quarter of headroom, in whole minutes', () => {
    expect([0, 1, 30, 40, 90, 0.5, 600].map(timeLimitMinutes)).toEqual([11, 11, 40, 50, 113, 11, 750])
  })

  it('writes begin_time as uts<epoch s>, rounded up', () => {
    expect(beginTime(1_795_422_958_000)).toBe('uts1795422958')
    expect(beginTime(1_795_422_958_001)).toBe('uts1795422959')
  })
})

describe('job records → run reports', () => {
  it('reads the recorded states: held, finished, cancelled while pending or running, failed, running', () => {
    const none = { exitCode: null, energyKwh: null }
    expect(toReport(recorded('job-pending.resp.json'), 1.2)).toEqual({ state: 'queued', startedAt: null, finishedAt: null, ...none, detail: 'Slurm job 1 PENDING (BeginTime)' })
    expect(toReport(recorded('job-final.resp.json'), 1.2)).toEqual({ state: 'succeeded', startedAt: 1_795_422_959_000, finishedAt: 1_795_422_962_000, exitCode: 0, energyKwh: null, detail: null })
    expect(toReport(recorded('job-cancelled.resp.json'), 1.2)).toEqual({ state: 'cancelled', startedAt: null, finishedAt: 1_795_422_966_000, ...none, detail: 'Slurm job 4 CANCELLED (BeginTime)' })
    expect(toReport(recorded('job-cancelled-running.resp.json'), 1.2)).toEqual({ state: 'cancelled', startedAt: 1_795_438_944_000, finishedAt: 1_795_438_946_000, exitCode: 143, energyKwh: null, detail: 'Slurm job 2 CANCELLED' })
    expect(toReport(recorded('job-failed.resp.json'), 1.2)).toMatchObject({ state: 'failed', exitCode: 3, detail: 'Slurm job 1 FAILED (NonZeroExitCode)' })
    expect(toReport(recorded('job-running.resp.json'), 1.2)).toMatchObject({ state: 'running', startedAt: 1_795_438_944_000, finishedAt: null, exitCode: null })
  })

  it('maps every Slurm state the brief names, and refuses to guess an unknown one', () => {
    const expected = {
      PENDING: 'queued', RUNNING: 'running', COMPLETING: 'running', CONFIGURING: 'running', SUSPENDED: 'running',
      COMPLETED: 'succeeded', FAILED: 'failed', TIMEOUT: 'failed', NODE_FAIL: 'failed', OUT_OF_MEMORY: 'failed',
      BOOT_FAIL: 'failed', DEADLINE: 'failed', PREEMPTED: 'failed', CANCELLED: 'cancelled'
    }
    for (const [slurm, run] of Object.entries(expected)) expect([slurm, runState(slurm)]).toEqual([slurm, run])
    expect(runState('toString')).toBeUndefined()
    expect(() => toReport({ ...recorded('job-final.resp.json'), state: 'LAUNCH_FAILED' }, 1)).toThrow(/state LAUNCH_FAILED/)
  })

  it('decodes raw wait statuses: exit codes, and 128 + signal for killed jobs', () => {
    expect([0, 768, 255 << 8, 9, 15, 0x80 | 6].map(exitCodeOf)).toEqual([0, 3, 255, 137, 143, 134])
  })

  it('turns a TRES energy in joules into kWh at the wall (× PUE); 0 or none is no measurement', () => {
    expect(energyKwhOf('cpu=1,node=1,billing=1,energy=5400000', 1.2)).toBeCloseTo(1.8, 12)
    expect(energyKwhOf('energy=3600000,cpu=8', 1)).toBe(1)
    expect([energyKwhOf('cpu=1,node=1,billing=1', 1.2), energyKwhOf('cpu=1,energy=0', 1.2), energyKwhOf('', 1)]).toEqual([null, null, null])
    const finished = { ...recorded('job-final.resp.json'), tresAlloc: 'cpu=1,node=1,billing=1,energy=7200000' }
    expect(toReport(finished, 1.5).energyKwh).toBeCloseTo(3, 12)
  })
})

describe('reply errors', () => {
  it('reads both error shapes (error_number on job calls, error_code on submit)', () => {
    expect(readErrors(fixture('job-unknown.resp.json'))).toEqual([{ number: 2017, error: 'Invalid job id specified', description: 'Unable to find JobId=999999' }])
    expect(describeErrors(readErrors(fixture('submit-bad-partition.resp.json')))).toBe('Invalid partition name specified (2000)')
    expect(readErrors(fixture('cancel.resp.json'))).toEqual([])
    expect(readErrors('Authentication failure')).toEqual([])
  })
})

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Handover, RunReport } from '../../src/executors/executor.js'
import { createSlurmExecutor, type SlurmSpec } from '../../src/executors/slurm.js'
import { handover } from './slurm-handover.js'

/**
 * Against the real slurmrestd that scripts/slurm/start.sh runs on 127.0.0.1 (the same machine: the
 * test reads the jobs' output files). Real processes, so it waits, always bounded: about 15 s in all.
 */
const REST_URL = process.env.SLURMRESTD_URL
const SKIP = REST_URL === undefined
if (SKIP) console.warn('slurm.integration.test.ts skipped: no SLURMRESTD_URL. Run scripts/slurm/install.sh and start.sh, then source the env.sh it names.')

const SECOND = 1000

describe.skipIf(SKIP)('Slurm executor against slurmrestd (needs SLURMRESTD_URL, SLURM_JWT, SLURM_USER_NAME)', () => {
  let workDir = ''
  const spec = (partition: string): SlurmSpec => ({ kind: 'slurm', url: REST_URL ?? '', partition, user: process.env.SLURM_USER_NAME ?? 'root', tokenEnv: 'SLURM_JWT' })
  const executor = (partition = 'pool-a') => createSlurmExecutor(spec(partition), { token: process.env.SLURM_JWT ?? '', workDir })

  beforeAll(() => { workDir = mkdtempSync(join(tmpdir(), 'greenshift-slurm-it-')) })
  afterAll(() => { rmSync(workDir, { recursive: true, force: true }) })

  /** Polls every 0.5 s until the run is in one of `states`; fails after `withinMs`. */
  async function until (h: Handover, states: readonly RunReport['state'][], withinMs: number): Promise<RunReport> {
    const poll = executor().poll
    if (poll === undefined) throw new Error('the Slurm executor polls')
    const deadline = Date.now() + withinMs
    for (;;) {
      const report = await poll(h)
      if (states.includes(report.state)) return report
      if (Date.now() > deadline) throw new Error(`job ${h.ref ?? '?'} still ${report.state} (${report.detail ?? ''}) after ${withinMs} ms`)
      await new Promise(resolve => setTimeout(resolve, SECOND / 2))
    }
  }

  it('holds a job until its begin_time, and starts it soon after an earlier one set by reschedule', async () => {
    const slurm = executor('pool-b')
    const planned = Date.now() + 30 * SECOND
    const h = handover(spec('pool-b'), planned, { command: ['sleep', '1'] })
    const { ref } = await slurm.dispatch(h, Date.now())
    const held = { ...h, ref }
    expect(await slurm.poll?.(held)).toMatchObject({ state: 'queued', startedAt: null, detail: `Slurm job ${ref} PENDING (BeginTime)` })
    // repeated hand-overs (a new leader, with or without the ref) find the same Slurm job
    expect(await slurm.dispatch(h, Date.now())).toEqual({ ref })
    expect(await slurm.dispatch(held, Date.now())).toEqual({ ref })

    const moved = Date.now() + 3 * SECOND
    await slurm.reschedule?.(held, moved)
    const done = await until(held, ['succeeded', 'failed'], 15 * SECOND)
    expect(done).toMatchObject({ state: 'succeeded', exitCode: 0, detail: null })
    expect(done.startedAt).toBeGreaterThanOrEqual(moved - SECOND)
    expect(done.startedAt).toBeLessThan(planned - 20 * SECOND)
    expect((done.finishedAt ?? 0) - (done.startedAt ?? 0)).toBeGreaterThanOrEqual(SECOND)
  })

  it('cancels a job while Slurm holds it, and a second cancel is harmless', async () => {
    const slurm = executor()
    const h = handover(spec('pool-a'), Date.now() + 600 * SECOND)
    const { ref } = await slurm.dispatch(h, Date.now())
    const held = { ...h, ref }
    expect((await slurm.poll?.(held))?.state).toBe('queued')
    await slurm.cancel(held)
    await slurm.cancel({ ...h, ref: null })
    expect(await until(held, ['cancelled'], 5 * SECOND)).toMatchObject({ state: 'cancelled', startedAt: null, exitCode: null })
  })

  it('runs a job that finishes, passing its argv word for word, its GPU and its environment', async () => {
    const slurm = executor('pool-b')
    const word = `it's $(echo no) \`id\` "q" * \\ $HOME`
    const script = 'printf "%s|%s|%s|%s" "$1" "$CUDA_VISIBLE_DEVICES" "$GREENSHIFT_JOB_ID" "$GREENSHIFT_JOB_ATTEMPT"'
    const h = handover(spec('pool-b'), Date.now() - 60 * SECOND, { command: ['bash', '-c', script, 'greenshift', word] })
    const { ref } = await slurm.dispatch(h, Date.now())
    const done = await until({ ...h, ref }, ['succeeded', 'failed', 'cancelled'], 10 * SECOND)
    expect(done).toMatchObject({ state: 'succeeded', exitCode: 0, energyKwh: null })
    expect(done.startedAt).not.toBeNull()
    expect(readFileSync(join(workDir, `greenshift-${ref}.out`), 'utf8')).toBe(`${word}|0|${h.job.id}|1`)
  })

  it('reports a job that exits 3 as failed with exit code 3', async () => {
    const slurm = executor()
    const h = handover(spec('pool-a'), Date.now(), { command: ['bash', '-c', 'exit 3'] })
    const { ref } = await slurm.dispatch(h, Date.now())
    expect(await until({ ...h, ref }, ['succeeded', 'failed', 'cancelled'], 10 * SECOND)).toMatchObject({
      state: 'failed', exitCode: 3, detail: `Slurm job ${ref} FAILED (NonZeroExitCode)`
    })
  })
})

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { serve } from '../../src/main.js'
import { fakeSmiEnv } from '../agent/helpers.js'

/**
 * The whole path on real parts: the service (HTTP, scheduler loop, embedded database) on loopback,
 * a real `greenshift agent` process metering a fake nvidia-smi, and — when `.ci/run` (or
 * scripts/slurm/start.sh) has started one — a real single-node Slurm behind slurmrestd. Jobs due at
 * once are dispatched in their windows, run, and the emissions report shows expected, baseline,
 * actual and avoided grams with their labels. Time is the real clock: these wait on real processes.
 */

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const ADMIN = 'gs_e2e_dispatch_admin_0123456789abcdef'
const SLURM = process.env.SLURMRESTD_URL
const dir = mkdtempSync(join(tmpdir(), 'greenshift-e2e-dispatch-'))
let service: { url: string, close: () => Promise<void> } | undefined
afterAll(async () => {
  await service?.close()
  rmSync(dir, { recursive: true, force: true })
})

beforeAll(async () => {
  const pools: object[] = [
    { name: 'agent-se', zone: 'SE-SE3', gpuModel: 'H100-SXM5-80GB', gpuCount: 8, wattsPerGpu: 700, pue: 1.1, executor: { kind: 'agent' }, embodiedGPerGpuHour: 25 }
  ]
  if (SLURM !== undefined) {
    pools.push({ name: 'slurm-de', zone: 'DE', gpuModel: 'A100-SXM4-80GB', gpuCount: 4, wattsPerGpu: 400, pue: 1.2, executor: { kind: 'slurm', url: SLURM, partition: 'pool-a', user: process.env.SLURM_USER_NAME ?? 'root', tokenEnv: 'SLURM_JWT' } })
  }
  const config = { zones: { DE: { provider: 'replay', dataset: 'zones-2022' }, 'SE-SE3': { provider: 'replay', dataset: 'zones-2022' } }, pools, planning: { safetyMarginMinutes: 0 } }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  service = await serve({
    ...process.env,
    // Always the embedded database: a shared PostgreSQL would carry jobs over from earlier runs.
    PORT: '0', HOST: '127.0.0.1', DATABASE_URL: '', GREENSHIFT_DATA_DIR: 'memory://',
    GREENSHIFT_CONFIG: join(dir, 'config.json'), GREENSHIFT_ADMIN_KEY: ADMIN, GREENSHIFT_TICK_MS: '250', LOG_LEVEL: 'silent'
  })
})

async function api (method: string, path: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${service!.url}${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return res.headers.get('content-type')?.includes('json') === true ? JSON.parse(text) : text
}

/** Polls `probe` every 250 ms until it returns a value, for at most `ms`. */
async function until<T> (what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(done => setTimeout(done, 250))
  }
}

/** A short job due at once: 1 minute planned, 2 minutes to the deadline, so its window is now. */
const dueNow = (name: string, pool: string, command: string[]) => ({
  name, gpus: 2, durationMinutes: 1, deadline: new Date(Date.now() + 2 * 60_000).toISOString(), pools: [pool], command, labels: { team: 'e2e' }
})

const finished = (id: string) => until(`job ${id} to finish`, 150_000, async () => {
  const job = await api('GET', `/v1/jobs/${id}`)
  return job.state === 'succeeded' && job.ledger !== null ? job : undefined
})

let agentProcess: ReturnType<typeof spawn> | undefined
afterEach(() => { agentProcess?.kill('SIGKILL') })

describe('dispatch end to end', () => {
  test('a job in an agent pool is claimed by a real agent, runs, and its measured energy and CO2e reach the report', { timeout: 200_000 }, async () => {
    const job = await api('POST', '/v1/jobs', dueNow('agent-e2e', 'agent-se', ['sh', '-c', 'echo "training on $CUDA_VISIBLE_DEVICES"; sleep 2']))
    const token = (await api('POST', '/v1/pools/agent-se/tokens', { name: 'e2e' })).token
    agentProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'agent', '--server', service!.url, '--pool', 'agent-se', '--once', '--wait', '30', '--sample-seconds', '0.2', '--gpus', '0,1'], {
      cwd: ROOT, env: fakeSmiEnv({ GREENSHIFT_AGENT_TOKEN: token }), stdio: 'ignore'
    })
    const done = await finished(job.id)
    expect(done.events.map((e: { toState: string | null }) => e.toState).filter(Boolean)).toEqual(['pending', 'planned', 'dispatched', 'running', 'succeeded'])
    expect(done.runs).toMatchObject([{ attempt: 1, pool: 'agent-se', executor: 'agent', outcome: 'succeeded', exitCode: 0 }])
    // The fake nvidia-smi draws 250 W per GPU: 2 GPUs × ~2 s ≈ 0.0003 kWh of GPU energy, × PUE 1.1.
    expect(done.ledger).toMatchObject({ energyMethod: 'measured', actual: { method: 'measured', signal: 'average', pool: 'agent-se', zone: 'SE-SE3' }, baseline: { pool: 'agent-se' } })
    expect(done.ledger.energyKwh).toBeGreaterThan(0.0002)
    expect(done.ledger.energyKwh).toBeLessThan(0.002)
    // 25 g per GPU-hour, reported apart (a few seconds of 2 GPUs rounds to 0.0 g).
    expect(done.ledger.embodiedGrams).not.toBeNull()
    const report = await api('GET', '/v1/reports/emissions?groupBy=pool')
    const row = report.rows.find((r: { group: { pool: string } }) => r.group.pool === 'agent-se')
    expect(row).toMatchObject({ signal: 'average', jobs: 1, measuredJobs: 1 })
    for (const figure of ['expectedGrams', 'baselineGrams', 'actualGrams', 'avoidedGrams']) expect(typeof row[figure]).toBe('number')
    const csv: string = await api('GET', '/v1/reports/emissions?groupBy=label:team&format=csv')
    expect(csv.split('\r\n')[0]).toContain('location_g')
    expect(csv).toContain(',e2e,average,lifecycle,co2e,')
  })

  test.runIf(SLURM !== undefined)('a job in a Slurm pool is submitted to the real Slurm in its window, runs there, and its estimated CO2e reaches the report', { timeout: 200_000 }, async () => {
    const job = await api('POST', '/v1/jobs', dueNow('slurm-e2e', 'slurm-de', ['sh', '-c', 'echo "slurm job $SLURM_JOB_ID for $GREENSHIFT_JOB_ID"; sleep 2']))
    const done = await finished(job.id)
    expect(done.runs).toMatchObject([{ attempt: 1, pool: 'slurm-de', executor: 'slurm', outcome: 'succeeded', exitCode: 0, ref: expect.stringMatching(/^\d+$/) }])
    expect(done.segments.filter((s: { kind: string }) => s.kind === 'actual')).toHaveLength(1)
    // The test cluster accounts no energy: the pool's power model over the real run time, labelled estimated.
    expect(done.ledger).toMatchObject({ energyMethod: 'estimated', actual: { method: 'estimated', pool: 'slurm-de', zone: 'DE' } })
    const report = await api('GET', '/v1/reports/emissions?groupBy=pool')
    expect(report.rows.find((r: { group: { pool: string } }) => r.group.pool === 'slurm-de')).toMatchObject({ jobs: 1, estimatedJobs: 1 })
  })
})

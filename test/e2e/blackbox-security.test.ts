import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fakeSmiEnv } from '../agent/helpers.js'
import { freePort } from '../../chaos/ports.js'

/**
 * The security promises checked from outside, as an attacker or an auditor would: `npm start` in a
 * process of its own on an embedded data directory, spoken to only over HTTP, and a real
 * `greenshift agent` given its pool token in the environment, as the README once recommended.
 * - hostile requests get 4xx problems, never a 5xx, and store nothing;
 * - a job cannot read the agent's token, nor any variable of the agent's that was not passed on;
 * - an agent `complete` with impossible times or energy is refused, and nothing impossible is booked.
 * Time is the real clock: this waits on real processes.
 */

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const OPERATOR = 'gs_blackbox_operator_0123456789abcdef'
const dir = mkdtempSync(join(tmpdir(), 'greenshift-blackbox-'))
const children: ChildProcess[] = []
let url = ''


/** Starts a command in its own process group, so that npm, tsx and node all go at the end. */
function start (command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000) })
  child.once('exit', code => { if (code !== 0 && code !== null) process.stderr.write(`${command} ${args.join(' ')} exited ${code}: ${stderr}\n`) })
  children.push(child)
  return child
}

function stopAll (): void {
  for (const child of children) {
    try { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL') } catch { /* gone already */ }
  }
}

/** Polls `probe` every 250 ms until it returns a value, for at most `ms`. */
async function until<T> (what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(done => setTimeout(done, 250))
  }
}

interface Answer { status: number, type: string, body: any } // eslint-disable-line @typescript-eslint/no-explicit-any

async function call (method: string, path: string, opts: { key?: string, body?: unknown, raw?: string, contentType?: string } = {}): Promise<Answer> {
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body))
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${opts.key ?? OPERATOR}`,
      ...(payload === undefined ? {} : { 'content-type': opts.contentType ?? 'application/json' })
    },
    ...(payload === undefined ? {} : { body: payload })
  })
  const text = await res.text()
  const type = res.headers.get('content-type') ?? ''
  return { status: res.status, type, body: type.includes('json') && text !== '' ? JSON.parse(text) : text }
}

async function ok (method: string, path: string, opts: Parameters<typeof call>[2] = {}): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const answer = await call(method, path, opts)
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`)
  return answer.body
}

/** A 1-GPU job due at once: 1 minute planned, 3 minutes to the deadline, so its window is now. */
const dueNow = (name: string, command: string[]) => ({
  name, gpus: 1, durationMinutes: 1, deadline: new Date(Date.now() + 3 * 60_000).toISOString(), pools: ['agents'], command
})

beforeAll(async () => {
  const config = {
    zones: { 'SE-SE3': { provider: 'replay', dataset: 'zones-2022' } },
    pools: [{ name: 'agents', zone: 'SE-SE3', gpuModel: 'H100-SXM5-80GB', gpuCount: 8, wattsPerGpu: 700, pue: 1.1, executor: { kind: 'agent' } }],
    planning: { safetyMarginMinutes: 0 }
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  start('npm', ['start', '--silent'], {
    ...process.env,
    PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: '', GREENSHIFT_DATA_DIR: join(dir, 'data'),
    GREENSHIFT_CONFIG: join(dir, 'config.json'), GREENSHIFT_ADMIN_KEY: OPERATOR, GREENSHIFT_TICK_MS: '250', LOG_LEVEL: 'warn'
  })
  await until('npm start to answer /readyz', 90_000, async () => (await fetch(`${url}/readyz`)).ok ? true : undefined)
}, 120_000)

afterAll(() => {
  stopAll()
  rmSync(dir, { recursive: true, force: true })
})

const future = '9999-12-31T23:59:59Z'
const valid = () => ({ name: 'bb', gpus: 1, durationMinutes: 60, deadline: new Date(Date.now() + 30 * 3600_000).toISOString() })
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('black box: npm start, spoken to over HTTP only', () => {
  test('hostile requests: 4xx problems, never a 5xx, and nothing stored', { timeout: 60_000 }, async () => {
    const hostile: Array<[string, string, NonNullable<Parameters<typeof call>[2]>]> = [
      ['POST', '/v1/jobs', { raw: JSON.stringify({ ...valid(), labels: { team: '\ud800' } }) }],
      ['POST', '/v1/jobs', { raw: JSON.stringify({ ...valid(), command: ['python', 'a\udc00b'] }) }],
      ['POST', '/v1/jobs', { raw: JSON.stringify({ ...valid(), payload: { lr: '\udfff' } }) }],
      ['POST', '/v1/jobs', { raw: JSON.stringify({ ...valid(), name: 'x\ud800' }) }],
      ['POST', '/v1/jobs', { raw: '{"name":"a\\ud800","gpus":1,"durationMinutes":60,"deadline":"' + valid().deadline + '"}' }],
      ['POST', '/v1/jobs', { body: { ...valid(), deadline: future } }],
      ['POST', '/v1/jobs', { body: { ...valid(), gpus: -1 } }],
      ['POST', '/v1/jobs', { body: { ...valid(), gpus: 1e308 } }],
      ['POST', '/v1/jobs', { body: { ...valid(), durationMinutes: 8.64e15 } }],
      ['POST', '/v1/jobs', { body: { ...valid(), notBefore: '0000-01-01T00:00:00Z' } }],
      ['POST', '/v1/jobs', { body: { ...valid(), pools: ['../../etc/passwd'] } }],
      ['POST', '/v1/jobs', { raw: '{"name":' }],
      ['POST', '/v1/jobs', { raw: '[]' }],
      ['POST', '/v1/jobs', { raw: 'name=x', contentType: 'application/x-www-form-urlencoded' }],
      ['POST', '/v1/jobs', { key: 'gs_not_a_real_key_0123456789abcdef', body: valid() }],
      ['GET', `/v1/jobs?cursor=${cursor([8.64e15, '00000000-0000-4000-8000-000000000000'])}`, {}],
      ['GET', `/v1/jobs?cursor=${cursor([-8.64e15, '00000000-0000-4000-8000-000000000000'])}`, {}],
      ['GET', `/v1/jobs?cursor=${cursor([253402300800000, 'x'])}`, {}],
      ['GET', '/v1/jobs?cursor=%F0%9F', {}],
      ['GET', '/v1/jobs?state=%00', {}],
      ['GET', '/v1/jobs/not-a-uuid', {}],
      ['GET', '/v1/reports/emissions?from=9999-12-31T00:00:00Z&to=0000-01-01T00:00:00Z', {}],
      ['GET', '/v1/reports/emissions?groupBy=%ud800', {}],
      ['POST', '/v1/quotes', { raw: JSON.stringify({ ...valid(), labels: { '\ud800': 'x' } }) }],
      ['POST', '/v1/pools', { body: { name: 'p\ud800', zone: 'SE-SE3', gpuModel: 'x', gpuCount: 1, wattsPerGpu: 1, pue: 1, executor: { kind: 'agent' } } }],
      ['POST', '/v1/pools/agents/tokens', { raw: '{"name":"\\ud800"}' }],
      ['POST', '/v1/agent/claim', { key: 'gsa_forged', body: { agent: 'x' } }],
      ['POST', '/v1/callbacks/jobs/00000000-0000-4000-8000-000000000000', { body: { event: 'finished', attempt: 1, startedAt: '1970-01-01T00:00:00Z', finishedAt: future } }]
    ]
    const statuses: number[] = []
    for (const [method, path, opts] of hostile) {
      const answer = await call(method, path, opts)
      statuses.push(answer.status)
      expect(answer.status, `${method} ${path} ${opts.raw ?? JSON.stringify(opts.body ?? '')}`).toBeGreaterThanOrEqual(400)
      expect(answer.status, `${method} ${path}`).toBeLessThan(500)
      expect(answer.type, `${method} ${path}`).toContain('application/problem+json')
    }
    expect(statuses.filter(s => s >= 500)).toEqual([])
    expect((await ok('GET', '/v1/jobs')).jobs).toEqual([])
    expect((await ok('GET', '/v1/pools')).map((p: { name: string }) => p.name)).toEqual(['agents'])
    expect(await ok('GET', '/v1/pools/agents/tokens')).toEqual([])
  })

  test('a job run by an agent that holds its token in the environment cannot read the token', { timeout: 200_000 }, async () => {
    const out = join(dir, 'job-env.txt')
    // What the job can see: its environment, and (as the same Unix user) the environment of the process that started it.
    const script = `env > ${out}; echo ----parent >> ${out}; tr '\\0' '\\n' < /proc/$PPID/environ >> ${out} 2>/dev/null; true`
    const job = await ok('POST', '/v1/jobs', { body: dueNow('env-probe', ['sh', '-c', script]) })
    const { token } = await ok('POST', '/v1/pools/agents/tokens', { body: { name: 'blackbox' } })
    start(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'agent', '--server', url, '--pool', 'agents', '--once', '--wait', '30', '--sample-seconds', '0.2', '--gpus', '0'],
      fakeSmiEnv({ GREENSHIFT_AGENT_TOKEN: token, SITE_SECRET: 'site-secret-value-0123' }))
    const done = await until(`job ${job.id} to succeed`, 150_000, async () => {
      const j = await ok('GET', `/v1/jobs/${job.id}`)
      return j.state === 'succeeded' ? j : undefined
    })
    expect(done.runs).toMatchObject([{ attempt: 1, pool: 'agents', outcome: 'succeeded', exitCode: 0 }])
    const [own, parent] = readFileSync(out, 'utf8').split('----parent')
    expect(own).toContain(`GREENSHIFT_JOB_ID=${job.id}`)
    expect(own).not.toContain(token)
    expect(own).not.toContain('site-secret-value-0123')
    // The agent's own variables stay readable to a job of the same user (--run-as is the remedy), but its token does not.
    expect(parent).toContain('SITE_SECRET=')
    expect(parent).not.toContain(token)
  })

  test('an impossible complete is refused, and nothing impossible is booked', { timeout: 120_000 }, async () => {
    const job = await ok('POST', '/v1/jobs', { body: dueNow('impossible', ['true']) })
    const { token } = await ok('POST', '/v1/pools/agents/tokens', { body: { name: 'attacker' } })
    const claimed = await until('a claim', 60_000, async () => {
      const answer = await call('POST', '/v1/agent/claim', { key: token, body: { agent: 'attacker', waitSeconds: 5 } })
      return answer.status === 200 ? answer.body : undefined
    })
    expect(claimed.job.id).toBe(job.id)
    const base = { attempt: claimed.job.attempt, claim: claimed.claim, exitCode: 0, samples: 10 }
    const now = Date.now()
    const attacks: Array<[string, object]> = [
      ['finishedAt', { startedAt: new Date(now).toISOString(), finishedAt: future, energyKwh: 0.01 }],
      ['startedAt', { startedAt: '1970-01-01T00:00:00Z', finishedAt: new Date(now).toISOString(), energyKwh: 0.01 }],
      ['startedAt', { startedAt: new Date(now - 3 * 3600_000).toISOString(), finishedAt: new Date(now).toISOString(), energyKwh: 0.01 }],
      ['finishedAt', { startedAt: new Date(now).toISOString(), finishedAt: new Date(now - 60_000).toISOString(), energyKwh: 0.01 }],
      ['energyKwh', { startedAt: new Date(now - 5_000).toISOString(), finishedAt: new Date(now).toISOString(), energyKwh: 5000 }]
    ]
    for (const [field, report] of attacks) {
      const answer = await call('POST', `/v1/agent/jobs/${job.id}/complete`, { key: token, body: { ...base, ...report } })
      expect(answer.status, JSON.stringify(report)).toBe(422)
      expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field)
    }
    const still = await ok('GET', `/v1/jobs/${job.id}`)
    expect(still.state).toBe('running')
    expect(still.runs[0]).toMatchObject({ outcome: null, energyKwh: null })
    expect(still.ledger).toBeNull()

    // A plausible report is booked as measured, within what one 700 W GPU could draw.
    const startedAt = new Date(Date.parse(still.runs[0].dispatchedAt)).toISOString()
    await ok('POST', `/v1/agent/jobs/${job.id}/complete`, { key: token, body: { ...base, startedAt, finishedAt: new Date().toISOString(), energyKwh: 0.0005 } })
    const done = await until('its ledger', 60_000, async () => {
      const j = await ok('GET', `/v1/jobs/${job.id}`)
      return j.ledger !== null ? j : undefined
    })
    expect(done.state).toBe('succeeded')
    expect(done.ledger.energyMethod).toBe('measured')
    expect(done.ledger.energyKwh).toBeLessThan(0.01)
    const report = await ok('GET', '/v1/reports/emissions?groupBy=pool')
    for (const row of report.rows) expect(row.actualGrams).toBeLessThan(1000)
  })
})

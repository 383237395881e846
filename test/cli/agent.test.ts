import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { agentCommand, parseAgentArgs, type AgentIo } from '../../src/cli/agent.js'
import { runCli } from '../../src/cli/commands.js'
import { claimReply, fakeApi, fakeSmiEnv, type FakeApi } from '../agent/helpers.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const ID = '5e0c8f61-2a7b-4d3c-8e9f-1b2a3c4d5e6f'
const TOKEN = 'gsa_cli_secret_value'
const dir = mkdtempSync(join(tmpdir(), 'greenshift-agent-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let api: FakeApi | undefined
afterEach(async () => { await api?.close(); api = undefined })

/** `greenshift agent ...` as a real process (node + tsx), its token in the environment. */
function spawnAgent (args: string[], extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'agent', ...args], {
    cwd: ROOT, env: fakeSmiEnv({ GREENSHIFT_AGENT_TOKEN: TOKEN, ...extra }), stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout.on('data', d => { out += String(d) })
  child.stderr.on('data', d => { out += String(d) })
  const exited = new Promise<number | null>(done => child.once('exit', code => done(code)))
  return { exited, output: () => out }
}

describe('greenshift agent (the real CLI)', () => {
  // One spawn only: the CLI loads the whole service's modules, about 2 s idle and 8 s on a busy 2-core machine.
  test('runs one job with --once, logging it to --log-dir, and reports energy from nvidia-smi; the job sees --pass-env, not the token', { timeout: 60_000 }, async () => {
    // The job runs as the agent's own user, so it could read /proc/<agent pid>/environ: the token is blanked there too.
    const script = 'echo "hello from $GREENSHIFT_JOB_ID on $CUDA_VISIBLE_DEVICES, token ${GREENSHIFT_AGENT_TOKEN-absent}, site $SITE_VAR, secret ${SECRET_X-absent}"; ' +
      'tr "\\0" "\\n" < /proc/$PPID/environ | grep -c gsa_ || true'
    api = await fakeApi(r => r.path.endsWith('/claim') ? claimReply(ID, ['sh', '-c', script]) : { status: 200, body: { state: 'succeeded' } })
    const run = spawnAgent(['--server', api.url, '--pool', 'h100-de', '--once', '--wait', '0', '--log-dir', dir, '--sample-seconds', '0.1', '--pass-env', 'SITE_VAR'], { SITE_VAR: 'site-value', SECRET_X: 'hunter2' })
    expect(await run.exited).toBe(0)
    expect(api.bodies('/claim')).toMatchObject([{ waitSeconds: 0, gpus: 2 }])
    expect(api.bodies('/complete')).toMatchObject([{ attempt: 1, exitCode: 0, energyKwh: expect.any(Number) }])
    expect(readFileSync(join(dir, `${ID}.1.log`), 'utf8')).toBe(`hello from ${ID} on 0,1, token absent, site site-value, secret absent\n0\n`)
    expect(run.output()).toMatch(/pulling jobs of pool h100-de .* with GPUs 0,1/)
    expect(run.output()).toContain(`job ${ID} attempt 1 "test job": exit 0`)
    expect(run.output()).not.toContain(TOKEN)
  })
})

describe('greenshift agent arguments', () => {
  const check = async (args: string[], env: NodeJS.ProcessEnv = fakeSmiEnv({ GREENSHIFT_AGENT_TOKEN: TOKEN })) => {
    let err = ''
    const io: AgentIo = { err: s => { err += s }, onSignal: () => () => {} }
    return { code: await agentCommand(args, env, io), err }
  }
  const base = ['--server', 'http://127.0.0.1:1', '--pool', 'h100-de']

  test.each([
    [['--pool', 'h100-de'], '--server URL is required'],
    [['--server', 'ftp://x', '--pool', 'h100-de'], '--server URL is required'],
    [['--server', 'http://127.0.0.1:1'], '--pool NAME is required'],
    [[...base, '--wait', '99'], '--wait must be an integer from 0 to 30 (got "99")'],
    [[...base, '--sample-seconds', 'often'], '--sample-seconds must be a number'],
    [[...base, '--gpus', '0,0'], '--gpus must be distinct GPU indices'],
    [[...base, '--gpus', '0,7'], '--gpus 7 not on this host (nvidia-smi lists 0,1)'],
    [[...base, '--log-dir', '/nonexistent/logs'], '--log-dir /nonexistent/logs is not a directory'],
    [[...base, '--bogus'], "Unknown option '--bogus'"],
    [[...base, '--token', 'gs_admin_key_value'], 'this one looks like an API key'],
    [[...base, '--pass-env', 'HTTPS_PROXY', '--pass-env', 'GREENSHIFT_AGENT_TOKEN'], '--pass-env GREENSHIFT_AGENT_TOKEN refused: a job never gets the agent\'s own GREENSHIFT_* variables'],
    [[...base, '--pass-env', 'GREENSHIFT_AGENT_NAME'], '--pass-env GREENSHIFT_AGENT_NAME refused'],
    [[...base, '--pass-env', 'CUDA_VISIBLE_DEVICES'], 'the agent sets it to the job\'s GPUs'],
    [[...base, '--token-file', '/nonexistent/token'], '--token-file /nonexistent/token cannot be read (ENOENT)'],
    [[...base, '--token-file', '/dev/null'], 'a pool token is required'],
    [[...base, '--token', TOKEN, '--token-file', '/dev/null'], 'give the token once'],
    [[...base, '--run-as', 'no-such-user-here'], process.getuid?.() === 0 ? '--run-as no-such-user-here: no such user' : '--run-as needs the agent to run as root'],
    [[...base, '--run-as', 'root'], process.getuid?.() === 0 ? 'is root' : '--run-as needs the agent to run as root']
  ])('%j is refused with exit code 2', async (args, message) => {
    const { code, err } = await check(args)
    expect(code).toBe(2)
    expect(err).toContain(message)
    expect(err).not.toContain('gs_admin_key_value')
  })

  test('the token comes from --token-file; GREENSHIFT_AGENT_TOKEN is deleted from the agent\'s environment once read, even when refused', async () => {
    const file = join(dir, 'token')
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 })
    expect(parseAgentArgs([...base, '--token-file', file], {})).toMatchObject({ token: TOKEN })
    const env = fakeSmiEnv({ GREENSHIFT_AGENT_TOKEN: TOKEN })
    const { code } = await check([...base, '--pass-env', 'GREENSHIFT_AGENT_TOKEN'], env)
    expect(code).toBe(2)
    expect('GREENSHIFT_AGENT_TOKEN' in env).toBe(false)
  })

  test('no token anywhere is refused; greenshift --help lists the agent', async () => {
    const { code, err } = await check(base, fakeSmiEnv())
    expect([code, err]).toEqual([2, expect.stringContaining('GREENSHIFT_AGENT_TOKEN')])
    let out = ''
    expect(await runCli(['--help'], {}, s => { out += s })).toBe(0)
    expect(out).toContain('agent --server URL --pool NAME')
    const help = await check(['--help'], {})
    expect(help.code).toBe(0)
    expect(help.err).toContain('--pass-env NAME')
    expect(help.err).toContain('GREENSHIFT_JOB_PROGRESS_FILE')
  })
})

describe('greenshift agent signals', () => {
  /** agentCommand in-process, with the signal handler captured so the test can deliver signals. */
  function start (args: string[]) {
    let deliver: ((signal: string) => void) | undefined
    let err = ''
    const io: AgentIo = { err: s => { err += s }, onSignal: handler => { deliver = handler; return () => { deliver = undefined } } }
    const code = agentCommand(args, fakeSmiEnv({ GREENSHIFT_AGENT_TOKEN: TOKEN }), io)
    return { code, signal: (name: string) => deliver?.(name), err: () => err }
  }

  test('SIGTERM stops the running job, reports it and exits 0', async () => {
    api = await fakeApi(r => r.path.endsWith('/claim') ? claimReply(ID, ['sleep', '30']) : { status: 200, body: { cancel: false, state: 'failed' } })
    const agent = start(['--server', api.url, '--pool', 'h100-de', '--wait', '0'])
    await api.arrived('/heartbeat')
    agent.signal('SIGTERM')
    expect(await agent.code).toBe(0)
    expect(api.bodies('/complete')).toMatchObject([{ exitCode: 143, detail: 'the agent was stopped before the job finished' }])
    expect(agent.err()).toContain('SIGTERM: stopping after the current job is reported')
  })

  test('a second signal gives up a report the server keeps refusing, with exit code 1', async () => {
    api = await fakeApi(r => {
      if (r.path.endsWith('/claim')) return claimReply(ID, ['sleep', '30'])
      return r.path.endsWith('/complete') ? { status: 503, body: { status: 503, title: 'Service Unavailable' } } : { status: 200, body: { cancel: false } }
    })
    const agent = start(['--server', api.url, '--pool', 'h100-de', '--wait', '0'])
    await api.arrived('/heartbeat')
    agent.signal('SIGINT')
    await api.arrived('/complete')
    agent.signal('SIGINT')
    expect(await agent.code).toBe(1)
    expect(agent.err()).toContain('could not report it')
  })
})

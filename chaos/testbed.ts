import { mkdirSync, writeFileSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
export { freePort } from './ports.js'
import { freePort } from './ports.js'
import { agentCommand, readAgentExecutions, type Execution } from './executions.js'
import { startFront, type Front } from './front.js'
import { call, until, type Answer } from './http.js'
import { logTail, startProcess, stopProcess, type Exit, type Proc } from './processes.js'
import { startReceiver, type Receiver } from './receiver.js'

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const FAKE_BIN = join(ROOT, 'test/fixtures/bin')
export const ADMIN_KEY = 'gs_chaos_admin_key_0123456789abcdef'
const SECRET = 'chaos-webhook-secret-0123456789'
/** The receiver reports a job done this long after it took it: jobs are minutes long on paper, seconds in the suite. */
const RUN_MS = 1_000

let useDist = false
/** Run `dist/src/cli/main.js` (after `npm run build`) instead of the sources through tsx: faster restarts. */
export function runBuilt (): void { useDist = true }
const cli = (args: string[]) => useDist
  ? [join(ROOT, 'dist/src/cli/main.js'), ...args]
  : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args]


/** A `greenshift serve` process; `proc` is replaced when the suite restarts it on the same port. */
export interface Instance {
  readonly name: string
  readonly port: number
  readonly url: string
  proc: Proc
}

/** An exit nobody asked for, with the end of the process's log. */
export interface Crash { instance: string, at: number, exit: Exit, tail: string }

/** The zones and pools of a scenario's configuration file, and how its instances run. */
export interface TestbedOptions {
  zones: Record<string, unknown>
  pools: Array<Record<string, unknown>>
  tickMs: number
  leaseSeconds: number
  /** Restart an instance that crashed after 1 s, as systemd would, so the scenario goes on (the crash still counts). */
  restartCrashed: boolean
}

/** The pool object for the scenario's webhook receiver. */
export const webhookPool = (name: string, zone: string, url: string) => ({
  name, zone, gpuModel: 'A100-SXM4-80GB', gpuCount: 512, wattsPerGpu: 400, pue: 1.2, executor: { kind: 'webhook', url, secretEnv: 'CHAOS_WEBHOOK_SECRET' }
})
export const agentPool = (name: string, zone: string) => ({
  name, zone, gpuModel: 'H100-SXM5-80GB', gpuCount: 512, wattsPerGpu: 700, pue: 1.1, executor: { kind: 'agent' }
})

/** The lines of a dying process's log that say why (a stack dump's object tail says nothing), else its last 3. */
function crashLines (tail: string): string {
  const lines = tail.split('\n')
  const why = lines.filter(l => /Error|error:|Unhandled|terminat|ECONN/.test(l)).slice(0, 3)
  return (why.length > 0 ? why : lines.slice(-3)).join('\n')
}

/** The environment without anything that would point an instance elsewhere (the CI's DATABASE_URL, Slurm). */
function cleanEnv (): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GREENSHIFT_') && !k.startsWith('SLURM') && k !== 'DATABASE_URL' && k !== 'PORT'))
}

/** Everything one scenario runs: its database, receiver, front, instances and agents. */
export class Testbed {
  readonly instances: Instance[] = []
  readonly agents: Proc[] = []
  readonly crashes: Crash[] = []
  readonly runsFile: string
  private readonly configPath: string
  private closing = false

  private constructor (
    readonly dir: string, readonly databaseUrl: string, readonly receiver: Receiver, readonly front: Front,
    private readonly options: TestbedOptions, private readonly frontPorts: number[]
  ) {
    this.runsFile = join(dir, 'agent-runs.log')
    this.configPath = join(dir, 'greenshift.json')
  }

  /** `pools` gets the receiver's URL to build webhook pools with. */
  static async create (dir: string, databaseUrl: string, options: Omit<TestbedOptions, 'pools'> & { pools: (receiverUrl: string) => TestbedOptions['pools'] }): Promise<Testbed> {
    mkdirSync(dir, { recursive: true })
    const receiver = await startReceiver(SECRET, RUN_MS, 120_000)
    const ports: number[] = []
    const front = await startFront(() => ports)
    const bed = new Testbed(dir, databaseUrl, receiver, front, { ...options, pools: options.pools(receiver.url) }, ports)
    writeFileSync(bed.configPath, JSON.stringify({ zones: options.zones, pools: bed.options.pools, planning: { safetyMarginMinutes: 0 } }, null, 2))
    return bed
  }

  private spawnInstance (name: string, port: number): Proc {
    const env = {
      ...cleanEnv(),
      HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: this.databaseUrl, GREENSHIFT_CONFIG: this.configPath, GREENSHIFT_ADMIN_KEY: ADMIN_KEY,
      GREENSHIFT_TICK_MS: String(this.options.tickMs), GREENSHIFT_LEASE_SECONDS: String(this.options.leaseSeconds),
      GREENSHIFT_PUBLIC_URL: this.front.url, CHAOS_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'info',
      // The load submits through one admin key from many workers at once: a rate limit would measure itself, not the faults.
      GREENSHIFT_RATE_LIMIT_PER_SECOND: '0'
    }
    return startProcess(name, process.execPath, cli(['serve']), {
      env, cwd: ROOT, logPath: join(this.dir, `${name}.log`), onCrash: (proc, exit) => this.crashed(name, proc, exit)
    })
  }

  private crashed (name: string, proc: Proc, exit: Exit): void {
    this.crashes.push({ instance: name, at: Date.now(), exit, tail: crashLines(logTail(proc, 80)) })
    const instance = this.instances.find(i => i.proc === proc)
    if (instance === undefined || this.closing || !this.options.restartCrashed) return
    setTimeout(() => { if (!this.closing) instance.proc = this.spawnInstance(name, instance.port) }, 1_000)
  }

  /** Starts an instance on a free port (no wait). */
  async addInstance (name: string): Promise<Instance> {
    const port = await freePort()
    const instance: Instance = { name, port, url: `http://127.0.0.1:${port}`, proc: this.spawnInstance(name, port) }
    this.instances.push(instance)
    this.frontPorts.push(port)
    return instance
  }

  /** A new process for `instance` on its port, after a kill. */
  restart (instance: Instance): void {
    instance.proc = this.spawnInstance(instance.name, instance.port)
  }

  /** Waits until every instance answers /readyz with 200; throws naming one that exits or stays unready. */
  async ready (ms = 120_000): Promise<void> {
    for (const instance of this.instances) {
      const ok = await until(ms, 250, async () => {
        if (instance.proc.exit !== undefined && !this.options.restartCrashed) return false
        const a = await call(`${instance.url}/readyz`, { timeoutMs: 2_000 })
        return a.ok && a.status === 200 ? true : undefined
      })
      if (ok !== true) throw new Error(`${instance.name} ${ok === false ? 'exited' : `not ready within ${ms / 1000} s`}:\n${logTail(instance.proc)}`)
    }
  }

  /** An admin API call to `instance` (default the first). */
  async api (method: string, path: string, body?: unknown, instance = this.instances[0]): Promise<Answer> {
    if (instance === undefined) throw new Error('no instance')
    return await call(`${instance.url}${path}`, { method, body, headers: { authorization: `Bearer ${ADMIN_KEY}` }, timeoutMs: 30_000 })
  }

  /** Starts `count` agents of `pool`, through the front, with the fake nvidia-smi (2 GPUs at 250 W). */
  async addAgents (pool: string, count: number): Promise<void> {
    const minted = await this.api('POST', `/v1/pools/${pool}/tokens`, { name: 'chaos' })
    const token = minted.ok ? (minted.body as { token?: string }).token : undefined
    if (token === undefined) throw new Error(`could not mint an agent token for ${pool}: ${JSON.stringify(minted)}`)
    for (let i = 1; i <= count; i++) {
      const name = `agent-${pool}-${i}`
      const env = { ...cleanEnv(), PATH: `${FAKE_BIN}${delimiter}${process.env.PATH ?? ''}`, GREENSHIFT_AGENT_TOKEN: token, CHAOS_RUNS_FILE: this.runsFile, CHAOS_AGENT: name }
      // Long-polls of 5 s, as agents run in production (default 30 s): a job dispatched meanwhile is claimed at once.
      const args = cli(['agent', '--server', this.front.url, '--pool', pool, '--name', name, '--gpus', '0,1', '--wait', '5', '--sample-seconds', '1', '--grace-seconds', '5', '--pass-env', 'CHAOS_RUNS_FILE', '--pass-env', 'CHAOS_AGENT'])
      this.agents.push(startProcess(name, process.execPath, args, { env, cwd: ROOT, logPath: join(this.dir, `${name}.log`) }))
    }
  }

  /** The agent pools' job command. */
  readonly agentCommand = agentCommand(RUN_MS / 1000)

  /** Every execution so far: the receiver's and the agents'. */
  executions (): Execution[] {
    return [...this.receiver.executions, ...readAgentExecutions(this.runsFile)]
  }

  async close (): Promise<void> {
    this.closing = true
    await Promise.all([...this.agents, ...this.instances.map(i => i.proc)].map(async p => await stopProcess(p)))
    await this.receiver.close()
    await this.front.close()
  }
}

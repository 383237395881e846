import { readFileSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { parseArgs } from 'node:util'
import { runAgent } from '../agent/agent.js'
import { agentClient } from '../agent/client.js'
import { lookupUser, passEnvRefusal, type JobUser } from '../agent/job-env.js'
import { listGpus, nvidiaSmiSampler } from '../agent/power.js'
import { scrubInitialEnvironment } from '../agent/scrub.js'
import { DEFAULT_HTTP } from '../providers/http.js'

/** Usage of `greenshift agent`, also shown on a bad argument. */
export const AGENT_USAGE = `usage: greenshift agent --server URL --pool NAME [--token-file PATH | --token TOKEN] [--name NAME] [--help]
                       [--gpus 0,1|none] [--sample-seconds 5] [--wait 30] [--once] [--log-dir DIR]
                       [--grace-seconds 30] [--pass-env NAME]... [--run-as USER]
  The pool token: --token-file (a file only the agent's user can read), or GREENSHIFT_AGENT_TOKEN
  (dropped from the agent's environment once read, and blanked in /proc/<pid>/environ on Linux), or
  --token (shown in the process list to every user).
  One job runs at a time, on the first N of --gpus (default: every GPU nvidia-smi lists); its output
  goes to this process's stdout/stderr, or to DIR/<job id>.<attempt>.log. A stopped job gets SIGTERM,
  then SIGKILL after --grace-seconds.
  A job sees only PATH, HOME, LANG, CUDA_VISIBLE_DEVICES (its GPUs), GREENSHIFT_JOB_ID,
  GREENSHIFT_JOB_ATTEMPT, GREENSHIFT_JOB_PAYLOAD, GREENSHIFT_JOB_PROGRESS_FILE, and each variable
  named with --pass-env NAME (repeatable; never GREENSHIFT_*). --run-as USER (the agent runs as
  root) runs jobs as that user, with its HOME, so they cannot read the agent's memory or environment.
`

/** Where `agentCommand` writes and which signals stop it; defaults are the process's own. */
export interface AgentIo {
  err: (s: string) => void
  /** Registers the handler for SIGINT/SIGTERM; returns its removal. */
  onSignal: (handler: (signal: string) => void) => () => void
}

class UsageError extends Error {}

const OPTIONS = {
  help: { type: 'boolean', short: 'h', default: false },
  server: { type: 'string' },
  pool: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  name: { type: 'string' },
  gpus: { type: 'string' },
  'sample-seconds': { type: 'string', default: '5' },
  wait: { type: 'string', default: '30' },
  once: { type: 'boolean', default: false },
  'log-dir': { type: 'string' },
  'grace-seconds': { type: 'string', default: '30' },
  'pass-env': { type: 'string', multiple: true },
  'run-as': { type: 'string' }
} as const

function number (name: string, text: string, min: number, max: number, integer = false): number {
  const value = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : NaN
  if (!(value >= min && value <= max) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${text}")`)
  }
  return value
}

function gpuList (text: string): number[] {
  if (text === 'none') return []
  const items = text.split(',').map(s => s.trim())
  if (items.some(s => !/^\d{1,4}$/.test(s)) || new Set(items).size !== items.length) {
    throw new UsageError(`--gpus must be distinct GPU indices like 0,1 or "none" (got "${text}")`)
  }
  return items.map(Number)
}

/** The token in `path` (surrounding white space dropped), or undefined without one; its text never appears in a message. */
function tokenFromFile (path: string | undefined): string | undefined {
  if (path === undefined) return undefined
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (err) {
    throw new UsageError(`--token-file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

function passEnvNames (names: string[]): string[] {
  for (const name of names) {
    const refusal = passEnvRefusal(name)
    if (refusal !== null) throw new UsageError(refusal)
  }
  return [...new Set(names)]
}

function runAs (name: string): JobUser {
  const uid = process.getuid?.()
  if (uid !== 0) throw new UsageError(`--run-as needs the agent to run as root, to start jobs as another user (it runs as uid ${uid ?? 'unknown'})`)
  const user = lookupUser(name)
  if (typeof user === 'string') throw new UsageError(user)
  return user
}

/** The validated options, or 'help' for --help; the token is checked here and never appears in a message. */
export function parseAgentArgs (args: string[], env: NodeJS.ProcessEnv) {
  let values
  try {
    values = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
  if (values.help) return 'help'
  const server = values.server ?? ''
  if (!/^https?:\/\/[^\s/]+/.test(server) || !URL.canParse(server)) throw new UsageError('--server URL is required, e.g. https://greenshift.example.com')
  const pool = values.pool ?? ''
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(pool)) throw new UsageError('--pool NAME is required: lower-case letters, digits and -, as the pool is named on the server')
  if (values.token !== undefined && values['token-file'] !== undefined) throw new UsageError('give the token once: --token-file or --token')
  const token = values.token ?? tokenFromFile(values['token-file']) ?? env.GREENSHIFT_AGENT_TOKEN ?? ''
  if (token === '') throw new UsageError('a pool token is required: --token-file, GREENSHIFT_AGENT_TOKEN or --token (an admin mints one with POST /v1/pools/{name}/tokens)')
  if (!token.startsWith('gsa_')) throw new UsageError(`the token is not a pool agent token (those start with gsa_${token.startsWith('gs_') ? '; this one looks like an API key' : ''})`)
  const name = values.name ?? `${hostname()}:${process.pid}`
  if (name === '' || name.length > 200) throw new UsageError('--name must be 1 to 200 characters')
  const logDir = values['log-dir']
  if (logDir !== undefined && statSync(logDir, { throwIfNoEntry: false })?.isDirectory() !== true) throw new UsageError(`--log-dir ${logDir} is not a directory`)
  return {
    server,
    pool,
    token,
    name,
    gpus: values.gpus === undefined ? undefined : gpuList(values.gpus),
    sampleMs: number('sample-seconds', values['sample-seconds'], 0.1, 3600) * 1000,
    waitSeconds: number('wait', values.wait, 0, 30, true),
    graceMs: number('grace-seconds', values['grace-seconds'], 0, 3600) * 1000,
    once: values.once,
    logDir,
    tokenFile: values['token-file'],
    passEnv: passEnvNames(values['pass-env'] ?? []),
    user: values['run-as'] === undefined ? undefined : runAs(values['run-as'])
  }
}

const processIo: AgentIo = {
  err: s => process.stderr.write(s),
  onSignal: handler => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, handler)
    return () => { for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, handler) }
  }
}

/**
 * `greenshift agent`: pulls jobs of one pool from the server and runs them on this host. Returns
 * the exit code: 0, 1 when it could not claim or report, 2 for bad arguments. The first
 * SIGINT/SIGTERM stops the running job and reports it; a second one gives up reporting.
 */
export async function agentCommand (args: string[], env: NodeJS.ProcessEnv, io: AgentIo = processIo): Promise<number> {
  let opts: Exclude<ReturnType<typeof parseAgentArgs>, 'help'>
  try {
    const parsed = parseAgentArgs(args, env)
    if (parsed === 'help') {
      io.err(AGENT_USAGE)
      return 0
    }
    opts = parsed
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.err(`greenshift agent: ${e.message}\n${AGENT_USAGE}`)
    return 2
  } finally {
    // Read once; nothing started later (nvidia-smi, a job) is handed it, however its env is built,
    // and a job of the agent's own user does not find it in /proc/<agent pid>/environ.
    delete env.GREENSHIFT_AGENT_TOKEN
    scrubInitialEnvironment(['GREENSHIFT_AGENT_TOKEN'])
  }
  const log = (line: string) => io.err(`${new Date().toISOString()} greenshift agent: ${line}\n`)
  const mode = opts.tokenFile === undefined ? 0 : statSync(opts.tokenFile, { throwIfNoEntry: false })?.mode ?? 0
  if ((mode & 0o077) !== 0) log(`--token-file ${opts.tokenFile ?? ''} can be read by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`)
  const smi = { env }
  const host = await listGpus(smi)
  const missing = opts.gpus?.filter(g => host.length > 0 && !host.includes(g)) ?? []
  if (missing.length > 0) {
    io.err(`greenshift agent: --gpus ${missing.join(',')} not on this host (nvidia-smi lists ${host.join(',')})\n`)
    return 2
  }
  const gpus = opts.gpus ?? (host.length > 0 ? host : null)
  const stop = new AbortController()
  const force = new AbortController()
  const off = io.onSignal(signal => {
    if (!stop.signal.aborted) {
      log(`${signal}: stopping after the current job is reported (send it again to give up reporting)`)
      stop.abort()
    } else force.abort()
  })
  log(`${opts.name} pulling jobs of pool ${opts.pool} from ${opts.server} with GPUs ${gpus === null || gpus.length === 0 ? 'none' : gpus.join(',')}${opts.user === undefined ? '' : `, running jobs as ${opts.user.name}`}`)
  try {
    return await runAgent({
      api: agentClient({ server: opts.server, token: opts.token }),
      pool: opts.pool,
      name: opts.name,
      gpus,
      samplerFor: g => nvidiaSmiSampler(g, Date.now, smi),
      waitSeconds: opts.waitSeconds,
      sampleMs: opts.sampleMs,
      graceMs: opts.graceMs,
      once: opts.once,
      logDir: opts.logDir,
      env,
      passEnv: opts.passEnv,
      user: opts.user,
      log,
      stop: stop.signal,
      force: force.signal,
      now: Date.now,
      sleep: DEFAULT_HTTP.sleep
    })
  } finally {
    off()
  }
}

import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { loadConfig } from '../config.js'
import { DataDirLockedError } from '../store/data-dir-lock.js'
import type { ApiScope } from '../store/schema.js'
import { agentCommand } from './agent.js'
import { CLIENT_USAGE, isClientCommand, runClient, type ClientIo } from './client/index.js'
import { localZone } from './client/time.js'

// The service (fastify, the embedded database) and the simulator load only for the commands that
// need them, so `greenshift agent` starts quickly on a GPU host.
const service = async () => await import('../main.js')

const USAGE = `usage: greenshift <command>

  serve                         run the API and the scheduler (PORT, HOST, DATABASE_URL, GREENSHIFT_CONFIG)
  migrate                       apply database migrations and exit
  keys create --tenant NAME [--scopes submit,read] [--name LABEL] [--home-pool POOL]
                                create an API key (printed once) for a tenant, creating the tenant if new;
                                scopes: submit, read, admin (the tenant's keys), operator (pools, agent
                                tokens, tenants, every tenant's keys); --home-pool sets the tenant's home
                                pool, where its jobs would run without greenshift (their baseline pool
                                when they name no preferredPool)
  openapi [--out FILE | --check FILE]
                                print, write, or check for drift the OpenAPI document
  simulate --intensity ZONE=FILE --jobs FILE [...]
                                replay jobs on real intensity data: baseline vs planned vs oracle
  forecast-eval --intensity ZONE=FILE [--horizons 24,48,96] [--json]
                                backtest greenshift's forecast models on a zone's history (no
                                look-ahead): MAPE, MAE, p10–p90 coverage beside persistence
  agent --server URL --pool NAME [--token-file F] [--gpus 0,1] [--pass-env NAME] [...]
                                on a GPU host: pull the pool's jobs, run them, report exit code and
                                measured GPU energy (token also from GREENSHIFT_AGENT_TOKEN; agent --help)

${CLIENT_USAGE}`

const SCOPES: ReadonlySet<string> = new Set<ApiScope>(['submit', 'read', 'admin', 'operator'])

const SERVE_USAGE = `usage: greenshift serve

Runs the API and the scheduler. Everything is configured by the environment (see the README):
PORT, HOST, DATABASE_URL (else the embedded database in GREENSHIFT_DATA_DIR, default ./.greenshift),
GREENSHIFT_CONFIG, GREENSHIFT_ADMIN_KEY, GREENSHIFT_TICK_MS, GREENSHIFT_LEASE_SECONDS,
GREENSHIFT_SCHEDULER, GREENSHIFT_PUBLIC_URL, GREENSHIFT_AGENT_TIMEOUT_SECONDS, GREENSHIFT_MAX_QUEUED_JOBS,
LOG_LEVEL, and the edge's limits: GREENSHIFT_BODY_TIMEOUT_MS, GREENSHIFT_HEADERS_TIMEOUT_MS,
GREENSHIFT_CALLBACK_BODY_TIMEOUT_MS, GREENSHIFT_RATE_LIMIT_PER_SECOND, GREENSHIFT_RATE_LIMIT_BURST.
`

/** A command's arguments that must be none but `--help`: true for help; throws naming anything else. */
function onlyHelp (command: string, args: string[]): boolean {
  const { values, positionals } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true })
  const unknown = [...Object.keys(values).filter(k => k !== 'help').map(k => `--${k}`), ...positionals]
  if (unknown.length > 0) throw new UsageError(`${command}: unknown argument ${unknown.map(u => `"${u}"`).join(', ')} (settings come from the environment; see greenshift ${command} --help)`)
  return values.help === true
}

/** A command line greenshift does not understand: exit code 2, with the usage. */
class UsageError extends Error {}

async function keysCreate (args: string[], env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args, options: { tenant: { type: 'string' }, scopes: { type: 'string', default: 'submit,read' }, name: { type: 'string', default: 'cli' }, 'home-pool': { type: 'string' } }
  })
  if (values.tenant === undefined || values.tenant === '') throw new Error('keys create: --tenant NAME is required')
  const homePool = values['home-pool']
  if (homePool === '') throw new Error('keys create: --home-pool needs a pool name')
  const scopes = values.scopes.split(',').map(s => s.trim()).filter(s => s !== '')
  const bad = scopes.find(s => !SCOPES.has(s))
  if (bad !== undefined || scopes.length === 0) throw new Error(`keys create: --scopes must be a comma list of submit, read, admin, operator (got "${values.scopes}")`)
  const config = loadConfig(env)
  const { prepareStore } = await service()
  const { createApiKey } = await import('../store/api-keys.js')
  const { createTenant, findTenantByName, updateTenant } = await import('../store/tenants.js')
  const { listPools } = await import('../store/pools.js')
  const store = await prepareStore(config, pino({ level: 'warn' }), new Date(), 'keys create').catch((err: unknown) => {
    if (!(err instanceof DataDirLockedError)) throw err
    throw new Error(`keys create: ${err.message}. A key made on a copy of the data beside a running server would never work: stop the server, create the key, start it again (with DATABASE_URL, keys create works beside running servers)`)
  })
  try {
    if (homePool !== undefined) {
      const pools = (await listPools(store.db)).map(p => p.name)
      if (!pools.includes(homePool)) throw new Error(`keys create: --home-pool "${homePool}" is not a pool (pools: ${pools.join(', ') || 'none'})`)
    }
    const tenant = await findTenantByName(store.db, values.tenant) ?? await createTenant(store.db, values.tenant)
    if (homePool !== undefined) await updateTenant(store.db, values.tenant, { homePool })
    const key = await createApiKey(store.db, { tenantId: tenant.id, name: values.name, scopes: scopes as ApiScope[] })
    out(`${key.key}\n`)
    return 0
  } finally {
    await store.close()
  }
}

async function openapi (args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, check: { type: 'string' } } })
  const { openapiDocument } = await import('./openapi.js')
  const doc = await openapiDocument()
  if (values.check !== undefined) {
    let current = ''
    try { current = readFileSync(values.check, 'utf8') } catch { current = '' }
    if (current !== doc) {
      process.stderr.write(`${values.check} is out of date with the routes: run \`npm run openapi\` and commit it\n`)
      return 1
    }
    out(`${values.check} matches the routes\n`)
    return 0
  }
  if (values.out !== undefined) writeFileSync(values.out, doc)
  else out(doc)
  return 0
}

/**
 * Runs one CLI command; returns the exit code (serve returns 0 only after a signal closed it).
 * `client` replaces the client commands' stderr, clock and time zone (tests fix them).
 */
export async function runCli (argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void = s => process.stdout.write(s), client: Partial<Omit<ClientIo, 'out'>> = {}): Promise<number> {
  const [command, ...args] = argv
  if (command !== undefined && isClientCommand(command)) {
    return await runClient(command, args, env, { out, err: s => process.stderr.write(s), now: Date.now, zone: localZone, ...client })
  }
  try {
    return await dispatchCommand(argv, env, out)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`greenshift ${err.message}\n`)
    return 2
  }
}

async function dispatchCommand (argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<number> {
  const [command, sub, ...rest] = argv
  const args = argv.slice(1)
  switch (command) {
    case 'serve': {
      if (onlyHelp('serve', args)) {
        out(SERVE_USAGE)
        return 0
      }
      const running = await (await service()).serve(env)
      await new Promise<void>(resolve => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve())
      })
      await running.close()
      return 0
    }
    case 'migrate': {
      if (onlyHelp('migrate', args)) {
        out('usage: greenshift migrate\n\nApplies pending migrations to DATABASE_URL (or the embedded database) and exits.\n')
        return 0
      }
      const config = loadConfig(env)
      const { ensureAdminKey, prepareStore } = await service()
      const store = await prepareStore(config, pino({ level: 'info' }), new Date(), 'migrate')
      await ensureAdminKey(store, config.adminKey, line => out(line + '\n'))
      await store.close()
      out('migrations are up to date\n')
      return 0
    }
    case 'keys':
      if (sub !== 'create') break
      return await keysCreate(rest, env, out)
    case 'openapi':
      return await openapi(args, out)
    case 'simulate':
      return (await import('./simulate.js')).simulateCommand(args, { out })
    case 'forecast-eval': {
      const { MODELS, persistence } = await import('../forecast/index.js')
      return (await import('./forecast-eval.js')).forecastEval(args, { out }, MODELS, persistence)
    }
    case 'agent':
      return await agentCommand(args, env)
    case 'help': case '--help': case '-h': case undefined:
      out(USAGE)
      return command === undefined ? 2 : 0
  }
  process.stderr.write(`greenshift: unknown command "${[command, sub].filter(w => w !== undefined).join(' ')}" (greenshift help lists the commands)\n`)
  return 2
}

import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { loadConfig } from '../config.js'
import { agentCommand } from './agent.js'

// The service (fastify, the embedded database) and the simulator load only for the commands that
// need them, so `greenshift agent` starts quickly on a GPU host.
const service = async () => await import('../main.js')

const USAGE = `usage: greenshift <command>

  serve                         run the API and the scheduler (PORT, HOST, DATABASE_URL, GREENSHIFT_CONFIG)
  migrate                       apply database migrations and exit
  keys create --tenant NAME [--scopes submit,read] [--name LABEL]
                                create an API key (printed once) for a tenant, creating the tenant if new
  openapi [--out FILE | --check FILE]
                                print, write, or check for drift the OpenAPI document
  simulate --intensity ZONE=FILE --jobs FILE [...]
                                replay jobs on real intensity data: baseline vs planned vs oracle
  agent --server URL --pool NAME [--token T] [--gpus 0,1] [--once] [...]
                                on a GPU host: pull the pool's jobs, run them, report exit code and
                                measured GPU energy (token also from GREENSHIFT_AGENT_TOKEN)
`

const SCOPES = new Set(['submit', 'read', 'admin'])

async function keysCreate (args: string[], env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { tenant: { type: 'string' }, scopes: { type: 'string', default: 'submit,read' }, name: { type: 'string', default: 'cli' } } })
  if (values.tenant === undefined || values.tenant === '') throw new Error('keys create: --tenant NAME is required')
  const scopes = values.scopes.split(',').map(s => s.trim()).filter(s => s !== '')
  const bad = scopes.find(s => !SCOPES.has(s))
  if (bad !== undefined || scopes.length === 0) throw new Error(`keys create: --scopes must be a comma list of submit, read, admin (got "${values.scopes}")`)
  const config = loadConfig(env)
  const { prepareStore } = await service()
  const { createApiKey } = await import('../store/api-keys.js')
  const { createTenant, findTenantByName } = await import('../store/tenants.js')
  const store = await prepareStore(config, pino({ level: 'warn' }), new Date())
  try {
    const tenant = await findTenantByName(store.db, values.tenant) ?? await createTenant(store.db, values.tenant)
    const key = await createApiKey(store.db, { tenantId: tenant.id, name: values.name, scopes: scopes as Array<'submit' | 'read' | 'admin'> })
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

/** Runs one CLI command; returns the exit code (serve returns 0 only after a signal closed it). */
export async function runCli (argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void = s => process.stdout.write(s)): Promise<number> {
  const [command, sub, ...rest] = argv
  switch (command) {
    case 'serve': {
      const running = await (await service()).serve(env)
      await new Promise<void>(resolve => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve())
      })
      await running.close()
      return 0
    }
    case 'migrate': {
      const config = loadConfig(env)
      const { ensureAdminKey, prepareStore } = await service()
      const store = await prepareStore(config, pino({ level: 'info' }), new Date())
      await ensureAdminKey(store, config.adminKey, line => out(line + '\n'))
      await store.close()
      out('migrations are up to date\n')
      return 0
    }
    case 'keys':
      if (sub !== 'create') break
      return await keysCreate(rest, env, out)
    case 'openapi':
      return await openapi([sub, ...rest].filter((a): a is string => a !== undefined), out)
    case 'simulate':
      return (await import('./simulate.js')).simulateCommand([sub, ...rest].filter((a): a is string => a !== undefined), { out })
    case 'agent':
      return await agentCommand([sub, ...rest].filter((a): a is string => a !== undefined), env)
    case 'help': case '--help': case '-h': case undefined:
      out(USAGE)
      return command === undefined ? 2 : 0
  }
  process.stderr.write(USAGE)
  return 2
}

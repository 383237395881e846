import pino, { type Logger } from 'pino'
import { buildProviders, loadConfig, type Config } from './config.js'
import { buildApp } from './http/app.js'
import { createMetrics } from './metrics.js'
import type { Deps } from './scheduler/deps.js'
import { holderId, leaseMsFor, startLoop } from './scheduler/loop.js'
import { countApiKeys, createApiKey } from './store/api-keys.js'
import { migrateToLatest, openStore, withStartupLock, type Store } from './store/db.js'
import { seedPools } from './store/pools.js'
import { ensureTenant } from './store/tenants.js'
import { unreachableDatabase } from './store/unavailable.js'
import { upsertZone } from './store/zones.js'

/**
 * Opens and migrates the store, then seeds the configured pools and zones (never overwriting).
 * `purpose` names the command in the embedded directory's lock ("serve", "migrate", …).
 */
export async function prepareStore (config: Config, log: Logger, now: Date, purpose: string, providers = buildProviders(config)): Promise<Store> {
  const onConnectionError = (err: Error): void => { log.warn({ err: err.message }, 'database connection lost; the pool reconnects on demand') }
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onConnectionError, purpose: `greenshift ${purpose}` })
  try {
    const applied = await migrateToLatest(store.db)
    if (applied.length > 0) log.info({ applied, database: store.kind }, 'migrations applied')
    await seedPools(store.db, config.pools, now)
    for (const [name, provider] of providers) {
      await upsertZone(store.db, { name, signal: provider.signal, providers: config.zones[name] }, now)
    }
  } catch (err) {
    await store.close()
    throw (config.databaseUrl === undefined ? undefined : unreachableDatabase(config.databaseUrl, err)) ?? err
  }
  return store
}

/**
 * On first start with no API key, creates the `default` tenant and its first key, with every scope
 * (submit, read, admin and operator: someone must be able to add pools, tenants and keys): the one
 * given in GREENSHIFT_ADMIN_KEY, or a new one printed once on stdout. Instances starting together on one
 * PostgreSQL do this one at a time (`withStartupLock`): one creates the key, the others find it.
 */
export async function ensureAdminKey (store: Store, given: string | undefined, print: (line: string) => void): Promise<void> {
  const created = await withStartupLock(store, async trx => {
    if (await countApiKeys(trx) > 0) return undefined
    const tenant = await ensureTenant(trx, 'default')
    return await createApiKey(trx, { tenantId: tenant.id, name: 'admin', scopes: ['submit', 'read', 'admin', 'operator'], key: given })
  })
  if (created !== undefined && given === undefined) print(`greenshift: created admin API key for tenant "default" (shown once): ${created.key}`)
}

/**
 * The composition root: config → store → providers → app + scheduler loop. The port is bound
 * before the first admin key is created, so a start that cannot listen prints no key that nobody
 * could use. Returns a closer.
 */
export async function serve (env: NodeJS.ProcessEnv): Promise<{ close: () => Promise<void>, url: string }> {
  const config = loadConfig(env)
  // Log lines are written asynchronously, in chunks of 4 KiB or every 200 ms, whichever comes first
  // (a write per line cost ~0.1 ms of the event loop under load); whatever is still buffered is
  // written before the process exits.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 })
  const flushing = setInterval(() => { destination.flush() }, 200).unref()
  const flushLog = () => {
    clearInterval(flushing)
    destination.flushSync()
  }
  process.once('exit', flushLog)
  const log = pino({ level: config.logLevel }, destination)
  const providers = buildProviders(config)
  const store = await prepareStore(config, log, new Date(), 'serve', providers)
  const deps: Deps = { store, config, providers, zoneStatus: new Map(), log, metrics: createMetrics(), env }
  let ready = false
  const app = await buildApp({ ...deps, now: Date.now, ready: () => ready }, { logger: log })
  let url: string
  try {
    url = await app.listen({ port: config.port, host: config.host })
    await ensureAdminKey(store, config.adminKey, line => process.stdout.write(line + '\n'))
  } catch (err) {
    await app.close()
    await store.close()
    throw listenError(err, config)
  }
  const holder = holderId()
  const loop = config.scheduler ? startLoop(deps, holder, config.tickMs, leaseMsFor(config.tickMs, config.leaseMs)) : undefined
  ready = true
  log.info({ url, database: store.kind, holder, zones: [...deps.providers.keys()], pools: config.pools.length }, 'greenshift serving')
  return {
    url,
    close: async () => {
      ready = false
      await app.close()
      await loop?.stop()
      await store.close()
      flushLog()
      process.off('exit', flushLog)
    }
  }
}

/** A bind failure named as the operator can act on it; anything else unchanged. */
function listenError (err: unknown, config: Config): unknown {
  const code = (err as { code?: unknown }).code
  if (code === 'EADDRINUSE') return new Error(`cannot listen on ${config.host}:${config.port}: the port is in use (set PORT to another)`, { cause: err })
  if (code === 'EACCES') return new Error(`cannot listen on ${config.host}:${config.port}: permission denied (ports below 1024 need privileges; set PORT)`, { cause: err })
  return err
}

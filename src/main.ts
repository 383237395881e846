import { hostname } from 'node:os'
import pino, { type Logger } from 'pino'
import { buildProviders, loadConfig, type Config } from './config.js'
import { buildApp } from './http/app.js'
import { createMetrics } from './metrics.js'
import type { Deps } from './scheduler/deps.js'
import { startLoop } from './scheduler/loop.js'
import { countApiKeys, createApiKey } from './store/api-keys.js'
import { migrateToLatest, openStore, type Store } from './store/db.js'
import { seedPools } from './store/pools.js'
import { createTenant, findTenantByName } from './store/tenants.js'
import { upsertZone } from './store/zones.js'

/** Opens and migrates the store, then seeds the configured pools and zones (never overwriting). */
export async function prepareStore (config: Config, log: Logger, now: Date, providers = buildProviders(config)): Promise<Store> {
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  const applied = await migrateToLatest(store.db)
  if (applied.length > 0) log.info({ applied, database: store.kind }, 'migrations applied')
  await seedPools(store.db, config.pools, now)
  for (const [name, provider] of providers) {
    await upsertZone(store.db, { name, signal: provider.signal, providers: config.zones[name] }, now)
  }
  return store
}

/**
 * On first start with no API key, creates the `default` tenant and an admin key: the one given in
 * GREENSHIFT_ADMIN_KEY, or a new one printed once on stdout.
 */
export async function ensureAdminKey (store: Store, given: string | undefined, print: (line: string) => void): Promise<void> {
  if (await countApiKeys(store.db) > 0) return
  const tenant = await findTenantByName(store.db, 'default') ?? await createTenant(store.db, 'default')
  const created = await createApiKey(store.db, { tenantId: tenant.id, name: 'admin', scopes: ['submit', 'read', 'admin'], key: given })
  if (given === undefined) print(`greenshift: created admin API key for tenant "default" (shown once): ${created.key}`)
}

/** The composition root: config → store → providers → app + scheduler loop. Returns a closer. */
export async function serve (env: NodeJS.ProcessEnv): Promise<{ close: () => Promise<void>, url: string }> {
  const config = loadConfig(env)
  const log = pino({ level: config.logLevel })
  const providers = buildProviders(config)
  const store = await prepareStore(config, log, new Date(), providers)
  await ensureAdminKey(store, config.adminKey, line => process.stdout.write(line + '\n'))
  const deps: Deps = { store, config, providers, zoneStatus: new Map(), log, metrics: createMetrics(), env }
  let ready = false
  const app = await buildApp({ ...deps, now: Date.now, ready: () => ready }, { logger: log })
  const url = await app.listen({ port: config.port, host: config.host })
  const loop = config.scheduler ? startLoop(deps, `${hostname()}:${process.pid}`, config.tickMs) : undefined
  ready = true
  log.info({ url, database: store.kind, zones: [...deps.providers.keys()], pools: config.pools.length }, 'greenshift serving')
  return {
    url,
    close: async () => {
      ready = false
      await app.close()
      await loop?.stop()
      await store.close()
    }
  }
}

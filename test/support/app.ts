import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { afterEach, beforeAll, beforeEach } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildProviders, loadConfig, type Config, type HttpLimits } from '../../src/config.js'
import { buildApp } from '../../src/http/app.js'
import type { Deps } from '../../src/scheduler/deps.js'
import { createApiKey, type ApiScope } from '../../src/store/api-keys.js'
import { seedPools } from '../../src/store/pools.js'
import { createTenant } from '../../src/store/tenants.js'
import { useTestStore } from './db.js'

/** 2026-11-23 10:00 UTC: the fixtures' NORTH zone is green (100 g/kWh) from 18:00 to 22:00 each day. */
export const NOW = Date.UTC(2026, 10, 23, 10)
export const HOUR = 3_600_000
export const iso = (t: number) => new Date(t).toISOString()

export interface TestApp {
  app: FastifyInstance
  deps: Deps
  clock: { now: number }
  /** `admin`: tenant a's admin; `operator`: the deployment's operator (a key of tenant a with that scope only). */
  keys: { a: string, aRead: string, b: string, admin: string, operator: string }
  /** `Authorization` header for a key. */
  auth: (key: string) => { authorization: string }
}

export function testConfig (file = '../fixtures/api/config.json'): Config {
  const path = fileURLToPath(new URL(file, import.meta.url))
  return loadConfig({ GREENSHIFT_CONFIG: path, GREENSHIFT_DATA_DIR: 'memory://' })
}

/**
 * One migrated store per test file (see useTestStore), and per test a fresh app over it with the
 * fixture zones (NORTH, SOUTH), both pools, and tenants `a` and `b` with keys of each kind.
 * `limits` replaces some of the default timeouts and rate limit (a test that sends more than 200
 * requests on one key without moving the clock needs a higher burst). `configFile`, relative to
 * this directory, replaces the fixture configuration.
 */
export function useTestApp (limits: Partial<HttpLimits> = {}, configFile?: string): () => TestApp {
  const store = useTestStore()
  let config: Config
  let current: TestApp | undefined
  beforeAll(() => {
    const base = testConfig(configFile)
    config = { ...base, limits: { ...base.limits, ...limits } }
  })
  beforeEach(async () => {
    const db = store().db
    await seedPools(db, config.pools, new Date(NOW))
    const a = await createTenant(db, 'a')
    const b = await createTenant(db, 'b')
    const key = async (tenantId: string, scopes: ApiScope[]) =>
      (await createApiKey(db, { tenantId, name: 'test', scopes })).key
    const keys = { a: await key(a.id, ['submit', 'read']), aRead: await key(a.id, ['read']), b: await key(b.id, ['submit', 'read']), admin: await key(a.id, ['admin']), operator: await key(a.id, ['operator']) }
    const clock = { now: NOW }
    // `env` is shared with the app: a test sets a secret with `deps.env.NAME = …`.
    const deps: Deps = { store: store(), config, providers: buildProviders(config), zoneStatus: new Map(), log: pino({ level: 'silent' }), env: {} }
    const app = await buildApp({ ...deps, now: () => clock.now, ready: () => true })
    current = { app, deps, clock, keys, auth: k => ({ authorization: `Bearer ${k}` }) }
  })
  afterEach(async () => { await current?.app.close() })
  return () => {
    if (current === undefined) throw new Error('useTestApp: no app yet (call inside a test)')
    return current
  }
}

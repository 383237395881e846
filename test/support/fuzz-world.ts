import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { afterEach, beforeAll, beforeEach } from 'vitest'
import { buildProviders, type Config } from '../../src/config.js'
import { sign } from '../../src/executors/signing.js'
import { buildApp } from '../../src/http/app.js'
import type { ApiScope } from '../../src/store/api-keys.js'
import { createApiKey } from '../../src/store/api-keys.js'
import { transitionJob } from '../../src/store/jobs.js'
import { createPoolToken } from '../../src/store/pool-tokens.js'
import { insertPool, seedPools } from '../../src/store/pools.js'
import { insertRun } from '../../src/store/runs.js'
import { createTenant } from '../../src/store/tenants.js'
import { HOUR, iso, NOW, testConfig } from './app.js'
import { useTestStore } from './db.js'
import type { Store } from '../../src/store/db.js'
import type { SchemaContext } from './schema-arbitrary.js'

/** Every scope there is, so a fuzzed request is never stopped by a 403 before it reaches its handler. */
const ALL_SCOPES: ApiScope[] = ['submit', 'read', 'admin', 'operator']
const SECRET_ENV = 'FUZZ_HOOK_SECRET'
const HOOK_SECRET = 'whsec_' + Buffer.from('fuzz-hook-pool-secret').toString('base64')
/** GPUs per pool: enough that the jobs every run adds never fill one (a 409 no-capacity would end the run early). */
const GPUS = 100_000
const HOOK_POOL = {
  name: 'gpu-hook', zone: 'NORTH', gpuModel: 'L4', gpuCount: GPUS, wattsPerGpu: 500, pue: 1.2,
  executor: { kind: 'webhook' as const, url: 'http://127.0.0.1:9/hook', secretEnv: SECRET_ENV }, enabled: true, embodiedGPerGpuHour: null, hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null
}

/**
 * The state a fuzzed request meets: the fixture's zones and agent pools plus a webhook pool (its
 * secret in the app's environment), tenant `a` with a key of every scope and two jobs, tenant `b`
 * with one, and an agent token. Requests name these through placeholders (`refs`) filled in when sent.
 */
export interface FuzzWorld {
  app: FastifyInstance
  store: Store
  /**
   * Placeholder → value: `@job@` (a planned job), `@other@` (tenant b's), `@run@` (see `refresh`),
   * `@token@`, `@key@` (a spare API key of tenant a), `@cursor@`, and `@claim_<field>@` for each string field of the last claim's answer.
   */
  refs: Map<string, string>
  /** What the fuzzer knows for requests to `operationId`: hints by name, beyond the schema. */
  context: (operationId: string) => SchemaContext
  /** Headers that authenticate a request to `path` (API key, pool token, or a callback signature over `payload`). */
  credentials: (path: string, payload: string | Buffer | undefined, forged: boolean) => Record<string, string>
  /** Points `@run@` at a fresh job in the state `operationId` acts on, so a run is never wasted on one an earlier run closed. */
  refresh: (operationId: string) => Promise<void>
}

const FRESH: Record<string, { pool: string, claimed?: boolean } | undefined> = {
  claimJob: { pool: 'gpu-north' },
  agentHeartbeat: { pool: 'gpu-north', claimed: true },
  agentComplete: { pool: 'gpu-north', claimed: true },
  webhookCallback: { pool: 'gpu-hook' },
  cancelJob: { pool: 'gpu-south' }
}

/** A fresh FuzzWorld per test over one migrated store per file; returns a getter valid inside tests. */
export function useFuzzWorld (): () => FuzzWorld {
  const store = useTestStore()
  let config: Config
  let current: FuzzWorld | undefined
  beforeAll(() => { config = testConfig() })
  beforeEach(async () => { current = await buildWorld(store(), config) })
  afterEach(async () => { await current?.app.close() })
  return () => {
    if (current === undefined) throw new Error('useFuzzWorld: no world yet (call inside a test)')
    return current
  }
}

async function buildWorld (store: Store, config: Config): Promise<FuzzWorld> {
  const db = store.db
  await seedPools(db, config.pools.map(p => ({ ...p, gpuCount: GPUS })), new Date(NOW))
  await insertPool(db, HOOK_POOL, new Date(NOW))
  const a = await createTenant(db, 'a')
  const b = await createTenant(db, 'b')
  const apiKey = (await createApiKey(db, { tenantId: a.id, name: 'fuzz', scopes: ALL_SCOPES })).key
  const otherKey = (await createApiKey(db, { tenantId: b.id, name: 'fuzz', scopes: ALL_SCOPES })).key
  // A key for revokeApiKey to name: revoking the fuzz key itself would leave every later run at the 401.
  const spareKey = await createApiKey(db, { tenantId: a.id, name: 'spare', scopes: ['read'] })
  const token = await createPoolToken(db, 'gpu-north', 'fuzz', new Date(NOW))
  const deps = { store, config, providers: buildProviders(config), zoneStatus: new Map(), log: pino({ level: 'silent' }), env: { [SECRET_ENV]: HOOK_SECRET } }
  const app = await buildApp({ ...deps, now: () => NOW, ready: () => true })

  const submit = async (key: string, pool: string): Promise<string> => {
    const res = await app.inject({
      method: 'POST', url: '/v1/jobs', headers: { authorization: `Bearer ${key}` },
      payload: { name: 'fuzz-target', gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR), pools: [pool], command: ['true'] }
    })
    if (res.statusCode !== 201) throw new Error(`fuzz world: submit gave ${res.statusCode} ${res.body}`)
    return res.json().id
  }
  const job = await submit(apiKey, 'gpu-north')
  await submit(apiKey, 'gpu-south')
  const cursor = (await app.inject({ method: 'GET', url: '/v1/jobs?limit=1', headers: { authorization: `Bearer ${apiKey}` } })).json().nextCursor
  const refs = new Map([['@job@', job], ['@other@', await submit(otherKey, 'gpu-north')], ['@run@', job], ['@token@', token.id], ['@key@', spareKey.id], ['@cursor@', cursor]])

  let messages = 0
  const credentials = (path: string, payload: string | Buffer | undefined, forged: boolean): Record<string, string> => {
    if (path.startsWith('/v1/callbacks/')) {
      return sign(forged ? 'whsec_Zm9yZ2Vk' : HOOK_SECRET, `fuzz_${++messages}`, Math.floor(NOW / 1000), payload?.toString() ?? '')
    }
    const bearer = path.startsWith('/v1/agent/') ? token.token : apiKey
    return { authorization: `Bearer ${forged ? bearer.slice(0, -2) + 'xx' : bearer}` }
  }

  const refresh = async (operationId: string): Promise<void> => {
    const fresh = FRESH[operationId]
    if (fresh === undefined) return
    const id = await submit(apiKey, fresh.pool)
    refs.set('@run@', id)
    if (operationId === 'cancelJob') return
    await transitionJob(db, { id, from: ['planned'], to: 'dispatched', at: new Date(NOW), reason: 'fuzz', attempt: 1 })
    await insertRun(db, { jobId: id, attempt: 1, pool: fresh.pool, executor: fresh.pool === 'gpu-hook' ? 'webhook' : 'agent', at: NOW })
    if (fresh.claimed !== true) return
    const claim = await app.inject({ method: 'POST', url: '/v1/agent/claim', headers: { authorization: `Bearer ${token.token}` }, payload: { agent: 'fuzz-agent' } })
    if (claim.statusCode !== 200 || claim.json().job.id !== id) throw new Error(`fuzz world: claim gave ${claim.statusCode} ${claim.body}`)
    // Whatever else the claim hands the agent (e.g. a claim secret) is there for a hint to name: `@claim_<field>@`.
    for (const [k, v] of Object.entries(claim.json() as Record<string, unknown>)) if (typeof v === 'string') refs.set(`@claim_${k}@`, v)
  }

  const context = (operationId: string): SchemaContext => ({ now: NOW, hints: { ...HINTS, ...OPERATION_HINTS[operationId] }, fixed: FIXED })
  return { app, store, refs, context, credentials, refresh }
}

const HINTS: Record<string, readonly unknown[]> = {
  id: ['@job@', '@other@', '@run@', '@token@'],
  jobId: ['@run@'],
  attempt: [1],
  gpus: [1, 2],
  durationMinutes: [60, 90],
  name: ['gpu-north', 'gpu-south', 'gpu-hook', 'fuzz-pool'],
  zone: ['NORTH', 'SOUTH'],
  zones: [['NORTH'], ['SOUTH', 'NORTH']],
  pools: [['gpu-north'], ['gpu-hook'], ['gpu-north', 'gpu-south']],
  preferredPool: ['gpu-north'],
  secretEnv: [SECRET_ENV],
  tokenEnv: [SECRET_ENV],
  agent: ['fuzz-agent'],
  deadline: [iso(NOW + 3 * HOUR), iso(NOW + 30 * HOUR)],
  notBefore: [iso(NOW + HOUR)],
  // Reports on a run dispatched at NOW: it started a little later, ends by now.
  at: [iso(NOW)],
  startedAt: [iso(NOW), iso(NOW - 60_000)],
  finishedAt: [iso(NOW)],
  from: [iso(NOW - 24 * HOUR)],
  to: [iso(NOW + 24 * HOUR)],
  cursor: ['@cursor@'],
  tenant: ['a', 'b']
}

/** Where an operation acts on one thing, it names that thing most of the time. */
const OPERATION_HINTS: Record<string, Record<string, readonly unknown[]>> = {
  getJob: { id: ['@job@', '@other@'] },
  cancelJob: { id: ['@run@'] },
  agentHeartbeat: { id: ['@run@'] },
  agentComplete: { id: ['@run@'] },
  webhookCallback: { id: ['@run@'] },
  revokePoolToken: { id: ['@token@'], name: ['gpu-north'] },
  revokeApiKey: { id: ['@key@'] },
  createTenant: { name: ['a', 'c'] },
  updateTenant: { name: ['a', 'b'] }
}

const FIXED = {
  // A claim that finds no job long-polls for waitSeconds of real time.
  waitSeconds: fc.constant(0),
  // An agent's report carries the secret its claim returned (403 without it).
  claim: fc.oneof({ weight: 8, arbitrary: fc.constant('@claim_claim@') }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) })
}

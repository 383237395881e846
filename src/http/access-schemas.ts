import { Type } from 'typebox'

/** Schemas of the API keys and tenants routes: who may call the API, and whose jobs are whose. */

const Instant = Type.String({ format: 'date-time' })

export const ScopeName = Type.Union([Type.Literal('submit'), Type.Literal('read'), Type.Literal('admin'), Type.Literal('operator')], {
  description: 'submit, read: jobs of the key\'s tenant; admin: that tenant\'s keys (and its submit and read); operator: pools, agent tokens, tenants, every tenant\'s keys'
})

/** A tenant's name as the API takes it for a new tenant: letters, digits, `_ . -`, at most 63. */
export const NewTenantName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$', description: 'tenant name' })

/** A tenant named in a query, body or path: any existing name (the CLI allows more than NewTenantName). */
export const TenantRef = Type.String({ minLength: 1, maxLength: 200, description: 'tenant name' })

/** A cap on queued (pending and planned) jobs; 10 million is far above any real queue. */
const QueueCap = Type.Integer({ minimum: 1, maximum: 10_000_000 })

/** A tenant's home pool: a pool's name, or null for none. */
const HomePool = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], {
  description: 'the pool this tenant\'s jobs would run on without greenshift: the baseline pool of its jobs that name no preferredPool; null: none'
})

const KeyFields = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  tenant: Type.String(),
  prefix: Type.String({ description: 'first characters of the key, for telling keys apart' }),
  scopes: Type.Array(ScopeName),
  createdAt: Instant,
  revokedAt: Type.Union([Instant, Type.Null()], { description: 'null while the key is live' })
}

/** A key as listed: never its hash or plaintext. */
export const ApiKey = Type.Object(KeyFields)

export const CreatedApiKey = Type.Object({ ...KeyFields, key: Type.String({ description: 'the key; shown once, stored hashed' }) })

export const ApiKeyInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, description: 'what the key is for' }),
  scopes: Type.Array(ScopeName, { minItems: 1, maxItems: 4, uniqueItems: true }),
  tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the tenant the key is for (another than the caller\'s: operator only); default the caller\'s' }))
}, { additionalProperties: false })

export const Tenant = Type.Object({
  name: Type.String(),
  maxQueuedJobs: Type.Union([Type.Integer(), Type.Null()], { description: 'this tenant\'s cap on queued jobs; null: the deployment default (GREENSHIFT_MAX_QUEUED_JOBS)' }),
  homePool: HomePool,
  createdAt: Instant
})

export const TenantInput = Type.Object({
  name: NewTenantName,
  maxQueuedJobs: Type.Optional(Type.Union([QueueCap, Type.Null()])),
  homePool: Type.Optional(HomePool)
}, { additionalProperties: false })

export const TenantPatch = Type.Object({
  maxQueuedJobs: Type.Optional(Type.Union([QueueCap, Type.Null()], { description: 'null: back to the deployment default' })),
  homePool: Type.Optional(HomePool)
}, { additionalProperties: false, minProperties: 1 })

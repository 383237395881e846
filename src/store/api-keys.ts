import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { ApiScope, Database, Db } from './schema.js'

export type { ApiScope } from './schema.js'

/** What `createApiKey` needs. */
export interface NewApiKey {
  tenantId: string
  name: string
  scopes: ApiScope[]
  /** A plaintext chosen by the operator (e.g. GREENSHIFT_ADMIN_KEY); default a new random key. */
  key?: string | undefined
  /** When it was made; default the database's now(). */
  createdAt?: Date | undefined
}

/** A new key. `key` is the only copy of the plaintext: the table keeps its SHA-256. */
export interface CreatedApiKey {
  key: string
  id: string
  /** First 8 characters of the key, kept for display ('gs_' + 5). */
  prefix: string
}

/** The caller a key stands for, with its tenant's home pool (null: none), read with the key so a request needs no other query. */
export interface ApiKeyPrincipal {
  id: string
  tenantId: string
  scopes: ApiScope[]
  homePool: string | null
}

const KEY_PREFIX = 'gs_'
/** 24 random bytes = 192 bits = 32 base64url characters. */
const KEY_BYTES = 24
const DISPLAY_PREFIX_LENGTH = 8

/** SHA-256 hex of a plaintext key. A fast hash suffices: keys are 192-bit random, not passwords. */
export function hashApiKey (plaintext: string): string {
  return createHash('sha256').update(plaintext).digest('hex')
}

/** Creates a key for a tenant and returns its plaintext once. */
export async function createApiKey (db: Db, input: NewApiKey): Promise<CreatedApiKey> {
  const key = input.key ?? KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url')
  const id = randomUUID()
  const prefix = key.slice(0, DISPLAY_PREFIX_LENGTH)
  await db.insertInto('api_keys').values({
    id,
    tenant_id: input.tenantId,
    name: input.name,
    prefix,
    key_hash: hashApiKey(key),
    scopes: JSON.stringify(input.scopes),
    ...(input.createdAt === undefined ? {} : { created_at: input.createdAt })
  }).execute()
  return { key, id, prefix }
}

/** The principal of a plaintext key, by hash; unknown and revoked keys are `undefined`. */
export async function findApiKey (db: Db, plaintext: string): Promise<ApiKeyPrincipal | undefined> {
  const row = await db.selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select(['api_keys.id', 'api_keys.tenant_id', 'api_keys.scopes', 'tenants.home_pool'])
    .where('api_keys.key_hash', '=', hashApiKey(plaintext))
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst()
  return row === undefined ? undefined : { id: row.id, tenantId: row.tenant_id, scopes: row.scopes, homePool: row.home_pool }
}

/** A key as listed and shown: never its hash, never its plaintext. */
export interface ApiKeyInfo {
  id: string
  tenantId: string
  name: string
  prefix: string
  scopes: ApiScope[]
  createdAt: Date
  revokedAt: Date | null
}

const INFO_COLUMNS = ['id', 'tenant_id', 'name', 'prefix', 'scopes', 'created_at', 'revoked_at'] as const

function toInfo (row: { id: string, tenant_id: string, name: string, prefix: string, scopes: ApiScope[], created_at: Date, revoked_at: Date | null }): ApiKeyInfo {
  return { id: row.id, tenantId: row.tenant_id, name: row.name, prefix: row.prefix, scopes: row.scopes, createdAt: row.created_at, revokedAt: row.revoked_at }
}

/** One tenant's keys, revoked ones included, oldest first. */
export async function listApiKeys (db: Db, tenantId: string): Promise<ApiKeyInfo[]> {
  const rows = await db.selectFrom('api_keys').select(INFO_COLUMNS).where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute()
  return rows.map(toInfo)
}

/** One key by id, revoked or not. */
export async function getApiKey (db: Db, id: string): Promise<ApiKeyInfo | undefined> {
  const row = await db.selectFrom('api_keys').select(INFO_COLUMNS).where('id', '=', id).executeTakeFirst()
  return row === undefined ? undefined : toInfo(row)
}

/** What `revokeApiKey` did: `last-operator` refuses to lock the deployment out of its own API. */
export type RevokeOutcome = 'revoked' | 'not-found' | 'last-operator'

/**
 * Revokes a live key. The deployment's last live `operator` key is kept: without one, nobody could
 * add pools, tenants or keys over the API again. Revoking an operator key first locks every live
 * operator key (in id order, so two revocations cannot deadlock): of two concurrent revocations of
 * the last two, the second sees one left and refuses.
 */
export async function revokeApiKey (db: Kysely<Database>, id: string, now: Date): Promise<RevokeOutcome> {
  return await db.transaction().execute(async trx => {
    const key = await trx.selectFrom('api_keys').select('scopes').where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst()
    if (key === undefined) return 'not-found'
    if (key.scopes.includes('operator')) {
      const operators = await trx.selectFrom('api_keys').select('id')
        .where('revoked_at', 'is', null).where(sql<boolean>`scopes @> '["operator"]'::jsonb`)
        .orderBy('id').forUpdate().execute()
      if (!operators.some(o => o.id === id)) return 'not-found'
      if (operators.length <= 1) return 'last-operator'
    }
    const result = await trx.updateTable('api_keys').set({ revoked_at: now })
      .where('id', '=', id).where('revoked_at', 'is', null)
      .executeTakeFirst()
    return result.numUpdatedRows > 0n ? 'revoked' : 'not-found'
  })
}

/** How many keys exist, revoked included (e.g. to bootstrap the first admin key). */
export async function countApiKeys (db: Db): Promise<number> {
  const row = await db.selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

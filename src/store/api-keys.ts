import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { ApiScope, Db } from './schema.js'

export type { ApiScope } from './schema.js'

/** What `createApiKey` needs. */
export interface NewApiKey {
  tenantId: string
  name: string
  scopes: ApiScope[]
  /** A plaintext chosen by the operator (e.g. GREENSHIFT_ADMIN_KEY); default a new random key. */
  key?: string | undefined
}

/** A new key. `key` is the only copy of the plaintext: the table keeps its SHA-256. */
export interface CreatedApiKey {
  key: string
  id: string
  /** First 8 characters of the key, kept for display ('gs_' + 5). */
  prefix: string
}

/** The caller a key stands for. */
export interface ApiKeyPrincipal {
  id: string
  tenantId: string
  scopes: ApiScope[]
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
    scopes: JSON.stringify(input.scopes)
  }).execute()
  return { key, id, prefix }
}

/** The principal of a plaintext key, by hash; unknown and revoked keys are `undefined`. */
export async function findApiKey (db: Db, plaintext: string): Promise<ApiKeyPrincipal | undefined> {
  const row = await db.selectFrom('api_keys')
    .select(['id', 'tenant_id', 'scopes'])
    .where('key_hash', '=', hashApiKey(plaintext))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row === undefined ? undefined : { id: row.id, tenantId: row.tenant_id, scopes: row.scopes }
}

/** Revokes a key; false if it does not exist or was already revoked. */
export async function revokeApiKey (db: Db, id: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('api_keys').set({ revoked_at: now })
    .where('id', '=', id).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** How many keys exist, revoked included (e.g. to bootstrap the first admin key). */
export async function countApiKeys (db: Db): Promise<number> {
  const row = await db.selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

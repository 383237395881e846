import { randomBytes, randomUUID } from 'node:crypto'
import { hashApiKey } from './api-keys.js'
import type { Db } from './schema.js'

/** Agent tokens start with `gsa_`, so they are told apart from API keys (`gs_`) at a glance and in scanners. */
const TOKEN_PREFIX = 'gsa_'
const TOKEN_BYTES = 24
const DISPLAY_PREFIX_LENGTH = 9

/** A new agent token; `token` is the only copy of the plaintext (the table keeps its SHA-256). */
export interface CreatedPoolToken {
  id: string
  pool: string
  name: string
  prefix: string
  token: string
  createdAt: Date
}

/** A token as an admin sees it: the plaintext is not kept, and its hash stays in the table. */
export interface PoolTokenInfo {
  id: string
  name: string
  prefix: string
  createdAt: Date
  revokedAt: Date | null
}

/** Mints a token that lets agents claim and report jobs of one pool only. */
export async function createPoolToken (db: Db, pool: string, name: string, now: Date): Promise<CreatedPoolToken> {
  const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url')
  const row = { id: randomUUID(), pool, name, prefix: token.slice(0, DISPLAY_PREFIX_LENGTH), token_hash: hashApiKey(token), created_at: now }
  await db.insertInto('pool_tokens').values(row).execute()
  return { id: row.id, pool, name, prefix: row.prefix, token, createdAt: now }
}

/** The pool a plaintext token is for; unknown and revoked tokens are `undefined`. */
export async function findPoolToken (db: Db, plaintext: string): Promise<{ id: string, pool: string } | undefined> {
  if (!plaintext.startsWith(TOKEN_PREFIX)) return undefined
  return await db.selectFrom('pool_tokens').select(['id', 'pool'])
    .where('token_hash', '=', hashApiKey(plaintext)).where('revoked_at', 'is', null)
    .executeTakeFirst()
}

/** A pool's tokens, revoked ones included (so an admin sees when each stopped), oldest first. */
export async function listPoolTokens (db: Db, pool: string): Promise<PoolTokenInfo[]> {
  const rows = await db.selectFrom('pool_tokens').select(['id', 'name', 'prefix', 'created_at', 'revoked_at'])
    .where('pool', '=', pool).orderBy('created_at').orderBy('id')
    .execute()
  return rows.map(r => ({ id: r.id, name: r.name, prefix: r.prefix, createdAt: r.created_at, revokedAt: r.revoked_at }))
}

/** Revokes a pool's token; false when there is no such live token. */
export async function revokePoolToken (db: Db, pool: string, id: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('pool_tokens').set({ revoked_at: now })
    .where('pool', '=', pool).where('id', '=', id).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

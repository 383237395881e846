import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Database, Db } from './schema.js'

/** 32 random bytes: 256 bits, far beyond guessing within a run's lifetime. */
const CLAIM_BYTES = 32

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest()

/**
 * A new claim secret (base64url, 43 characters). The agent that claimed a run holds the only copy;
 * the run keeps its SHA-256, so neither a database dump nor another holder of the pool token can
 * report on that run.
 */
export function newClaimSecret (): string {
  return randomBytes(CLAIM_BYTES).toString('base64url')
}

/** Binds run (`jobId`, `attempt`) to `secret`; inside the claim's transaction, so a claimed run always has one. */
export async function setClaimHash (trx: Transaction<Database>, jobId: string, attempt: number, secret: string): Promise<void> {
  await trx.updateTable('job_runs').set({ claim_hash: sha256(secret).toString('hex') })
    .where('job_id', '=', jobId).where('attempt', '=', attempt).execute()
}

/** Who may report on run (`jobId`, `attempt`): its pool, its executor and its claim hash, in one read. */
export async function runClaim (db: Db, jobId: string, attempt: number): Promise<{ pool: string, executor: string, claimHash: string | null, pue: number | null } | undefined> {
  const row = await db.selectFrom('job_runs').select(['pool', 'executor', 'claim_hash', 'pool_model'])
    .where('job_id', '=', jobId).where('attempt', '=', attempt).executeTakeFirst()
  return row === undefined ? undefined : { pool: row.pool, executor: row.executor, claimHash: row.claim_hash, pue: row.pool_model?.pue ?? null }
}

/**
 * Whether `secret` is the one whose SHA-256 a run keeps (`stored`). The hashes are compared in
 * constant time; a run without a claim hash (claimed before claims were bound) matches nothing, so
 * its agent's reports are refused and the run ends as lost and is planned again.
 */
export function claimMatches (stored: string | null, secret: string | undefined): boolean {
  if (secret === undefined || stored === null || !/^[0-9a-f]{64}$/.test(stored)) return false
  return timingSafeEqual(sha256(secret), Buffer.from(stored, 'hex'))
}

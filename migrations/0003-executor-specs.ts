import { sql } from 'kysely'
import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * Executor specs stored before 0002's release name no secret: webhook `{ kind, url }` and Slurm
 * `{ kind, baseUrl, partition }`. They are rewritten to the shapes read since then — webhook with
 * `secretEnv`, Slurm with `url`, `user` and `tokenEnv` — with fixed defaults for what the old
 * shapes lacked, rebuilt from their known fields so nothing else is carried over.
 *
 * Each rewritten pool is also disabled, because those defaults are guesses: the server may not
 * have the variable, it may hold the secret of another receiver or cluster (a job and its payload
 * would go where they should not), and `root` may not be whom the cluster's JWT was issued for. A
 * disabled pool is sent no job (its planned jobs go back to pending, to be planned on an enabled
 * pool they allow) until an admin checks the spec and enables it with `PATCH /v1/pools/{name}`.
 *
 * No `down`: the rewritten specs are the shapes the release before this migration already reads.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    update pools set
      executor = jsonb_build_object('kind', 'webhook', 'url', executor -> 'url', 'secretEnv', 'GREENSHIFT_WEBHOOK_SECRET'),
      enabled = false,
      updated_at = now()
    where executor ->> 'kind' = 'webhook' and executor -> 'secretEnv' is null
  `.execute(db)
  await sql`
    update pools set
      executor = jsonb_build_object('kind', 'slurm', 'url', executor -> 'baseUrl', 'partition', executor -> 'partition',
        'user', 'root', 'tokenEnv', 'SLURM_JWT'),
      enabled = false,
      updated_at = now()
    where executor ->> 'kind' = 'slurm' and executor -> 'url' is null and executor -> 'baseUrl' is not null
  `.execute(db)
}

/** The database's clock, moved for tests: leases and heartbeats are stamped and judged by it, not by the process. */
import { sql } from 'kysely'
import type { Db } from '../../src/store/schema.js'

/**
 * Makes lease `name` run out now, as if its TTL had passed by the database's clock: how a test
 * stands for a leader that died (or stalled) without waiting for the real TTL.
 */
export async function expireLease (db: Db, name = 'scheduler'): Promise<void> {
  await sql`update leases set expires_at = clock_timestamp() - interval '1 millisecond' where name = ${name}`.execute(db)
}

/** Makes the last sign of life of run `attempt` of a job `ms` older by the database's clock: a silent agent without waiting. */
export async function ageHeartbeat (db: Db, jobId: string, ms: number, attempt = 1): Promise<void> {
  await sql`update job_runs set heartbeat_at = heartbeat_at - ${ms} * interval '1 millisecond' where job_id = ${jobId} and attempt = ${attempt}`.execute(db)
}

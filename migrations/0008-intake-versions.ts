import { sql } from 'kysely'
import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * What lets a submission plan from memory and write in one statement:
 *
 * - `pools.capacity_version`: changed (to a fresh value of `capacity_version_seq`) by every
 *   transaction that adds reservations to the pool or changes the pool, always under the pool's row
 *   lock. A process whose in-memory view of a pool was read at version V knows it is exact while the
 *   locked row still says V. The sequence stands alone (no column owns it), so versions never repeat
 *   in a database, not even after a `truncate ... restart identity`.
 * - `pool_releases`: an append-only log of releases (reservations given back), written without any
 *   lock, so a process learns that its view is merely pessimistic and reloads it.
 * - `tenant_queue_counts`: each tenant's queued (pending or planned) jobs, kept by statement
 *   triggers on `jobs` in 16 slots drawn at random, so concurrent submissions of one tenant rarely
 *   update the same row and the cap is checked without counting the queue.
 * - an index on the planned segments by pool and end, so one pool's reservations load without
 *   reading every pool's.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`create sequence capacity_version_seq`.execute(db)
  await sql`alter table pools add column capacity_version bigint not null default nextval('capacity_version_seq')`.execute(db)
  await sql`create table pool_releases (pool text not null, version bigint not null default nextval('capacity_version_seq'))`.execute(db)
  await sql`create index pool_releases_pool_idx on pool_releases (pool, version)`.execute(db)
  await sql`create index job_segments_planned_pool_idx on job_segments (pool, end_at) where kind = 'planned'`.execute(db)
  await sql`create table tenant_queue_counts (tenant_id text not null, slot smallint not null, n bigint not null, primary key (tenant_id, slot))`.execute(db)
  // Statement-level, over the rows the statement changed: a batch of 64 new jobs is one upsert per
  // tenant, into a slot drawn at random (the sum is what counts; spreading writes spreads locks).
  const upsert = (deltas: string) => `
    insert into tenant_queue_counts as c (tenant_id, slot, n)
    select tenant_id, floor(random() * 16)::smallint, sum(delta) from (${deltas}) d
    group by tenant_id having sum(delta) <> 0
    on conflict (tenant_id, slot) do update set n = c.n + excluded.n`
  const queued = (t: string) => `case when ${t}.state in ('pending', 'planned') then 1 else 0 end`
  const functions = {
    insert: upsert(`select n.tenant_id, ${queued('n')} as delta from new_rows n`),
    delete: upsert(`select o.tenant_id, -${queued('o')} as delta from old_rows o`),
    update: upsert(`select n.tenant_id, ${queued('n')} - ${queued('o')} as delta from new_rows n join old_rows o on o.id = n.id`)
  }
  for (const [event, body] of Object.entries(functions)) {
    await sql.raw(`create function greenshift_count_queue_${event} () returns trigger language plpgsql as $$
      begin ${body}; return null; end $$`).execute(db)
  }
  await sql`create trigger jobs_count_queue_insert after insert on jobs referencing new table as new_rows
    for each statement execute function greenshift_count_queue_insert()`.execute(db)
  await sql`create trigger jobs_count_queue_delete after delete on jobs referencing old table as old_rows
    for each statement execute function greenshift_count_queue_delete()`.execute(db)
  await sql`create trigger jobs_count_queue_update after update on jobs referencing old table as old_rows new table as new_rows
    for each statement execute function greenshift_count_queue_update()`.execute(db)
  await sql`insert into tenant_queue_counts (tenant_id, slot, n)
    select tenant_id, 0, count(*) from jobs where state in ('pending', 'planned') group by 1`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  for (const event of ['insert', 'delete', 'update']) {
    await sql.raw(`drop trigger jobs_count_queue_${event} on jobs`).execute(db)
    await sql.raw(`drop function greenshift_count_queue_${event} ()`).execute(db)
  }
  await sql`drop table tenant_queue_counts`.execute(db)
  await sql`drop index job_segments_planned_pool_idx`.execute(db)
  await sql`drop table pool_releases`.execute(db)
  await sql`alter table pools drop column capacity_version`.execute(db)
  await sql`drop sequence capacity_version_seq`.execute(db)
}

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
 * - `tenant_queue_counts`: each tenant's queued (pending or planned) jobs, kept by a trigger on
 *   `jobs` in 16 slots chosen by job id, so concurrent submissions of one tenant rarely update the
 *   same row and the cap is checked without counting the queue.
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
  await sql`
    create function greenshift_count_queue () returns trigger language plpgsql as $$
    declare
      delta integer := 0;
      row_tenant text;
      row_id text;
    begin
      if tg_op in ('UPDATE', 'DELETE') and old.state in ('pending', 'planned') then delta := delta - 1; end if;
      if tg_op in ('INSERT', 'UPDATE') and new.state in ('pending', 'planned') then delta := delta + 1; end if;
      if delta = 0 then return null; end if;
      if tg_op = 'DELETE' then row_tenant := old.tenant_id; row_id := old.id;
      else row_tenant := new.tenant_id; row_id := new.id; end if;
      insert into tenant_queue_counts as c (tenant_id, slot, n) values (row_tenant, hashtext(row_id) & 15, delta)
        on conflict (tenant_id, slot) do update set n = c.n + excluded.n;
      return null;
    end $$`.execute(db)
  await sql`create trigger jobs_count_queue after insert or delete or update of state on jobs
    for each row execute function greenshift_count_queue()`.execute(db)
  await sql`insert into tenant_queue_counts (tenant_id, slot, n)
    select tenant_id, hashtext(id) & 15, count(*) from jobs where state in ('pending', 'planned') group by 1, 2`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop trigger jobs_count_queue on jobs`.execute(db)
  await sql`drop function greenshift_count_queue ()`.execute(db)
  await sql`drop table tenant_queue_counts`.execute(db)
  await sql`drop index job_segments_planned_pool_idx`.execute(db)
  await sql`drop table pool_releases`.execute(db)
  await sql`alter table pools drop column capacity_version`.execute(db)
  await sql`drop sequence capacity_version_seq`.execute(db)
}

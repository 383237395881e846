import { sql } from 'kysely'
import type { Kysely } from 'kysely'

// Frozen: this file describes the schema as it was when written. Never edit it; add a migration.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on app types */

/**
 * Executor reports are checked from this release on (a start no earlier than the dispatch, a finish
 * no earlier than the start, neither in the future, energy within what the GPUs can draw); runs
 * stored before may hold what an agent token or a webhook secret sent, e.g. a start in 1970 or a
 * finish in 9999, which made ledgers read or build hundreds of thousands of points. Each such run
 * is repaired, as the checks would have booked it:
 * - a start more than 1 min before the dispatch (or after the run's report came in) is moved to
 *   the dispatch (or that time); so is `accepted_at`, which a start report sets too;
 * - a finish more than 1 min after its report came in (the job's move to succeeded/failed, else
 *   now) is moved to that time, and a finish before the start to the start;
 * - energy beyond the run's GPUs × the pool's W per GPU × 1.5 × PUE over the repaired interval, or
 *   negative, is dropped: the ledger estimates it;
 * - the run's actual segment follows (removed when nothing is left of it), its job's ledger is
 *   computed again, and a `report-implausible` event keeps the values as stored.
 * Then the schema refuses a run that ends before it starts.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    with bounds as (
      select r.job_id, r.attempt, r.dispatched_at, r.started_at, r.finished_at, r.energy_kwh,
        j.gpus * p.watts_per_gpu * 1.5 * p.pue as max_watts,
        least(now(), coalesce((
          select min(e.at) from job_events e
          where e.job_id = r.job_id and e.at >= r.dispatched_at and e.to_state in ('succeeded', 'failed')
        ), now())) as upper
      from job_runs r
      join jobs j on j.id = r.job_id
      left join pools p on p.name = r.pool
    ), starts as (
      select b.*, case
          when b.started_at < b.dispatched_at - interval '1 minute' then b.dispatched_at
          when b.started_at > b.upper + interval '1 minute' then greatest(b.upper, b.dispatched_at)
          else b.started_at
        end as new_start
      from bounds b
    ), ends as (
      select s.*, case when s.finished_at is not null
          then greatest(case when s.finished_at > s.upper + interval '1 minute' then s.upper else s.finished_at end, s.new_start)
        end as new_finish
      from starts s
    ), repaired as (
      select e.*, case
          when e.energy_kwh is null or e.max_watts is null then e.energy_kwh
          when e.energy_kwh >= 0 and e.energy_kwh <= e.max_watts / 1000
            * extract(epoch from e.new_finish - coalesce(e.new_start, e.dispatched_at)) / 3600 then e.energy_kwh
        end as new_energy
      from ends e
    ), repairs as (
      select * from repaired
      where new_start is distinct from started_at or new_finish is distinct from finished_at or new_energy is distinct from energy_kwh
    ), runs as (
      update job_runs r set started_at = x.new_start, finished_at = x.new_finish, energy_kwh = x.new_energy,
        accepted_at = case when r.accepted_at < r.dispatched_at - interval '1 minute' then r.dispatched_at else r.accepted_at end
      from repairs x where r.job_id = x.job_id and r.attempt = x.attempt
    ), moved as (
      update job_segments s set start_at = x.new_start, end_at = x.new_finish
      from repairs x where s.kind = 'actual' and s.job_id = x.job_id and s.attempt = x.attempt and x.new_finish > x.new_start
    ), dropped as (
      delete from job_segments s using repairs x
      where s.kind = 'actual' and s.job_id = x.job_id and s.attempt = x.attempt and not coalesce(x.new_finish > x.new_start, false)
    ), ledgers as (
      update jobs j set ledger = null, ledger_tries = 0, ledger_retry_at = null
      from repairs x where j.id = x.job_id and j.attempt = x.attempt
    )
    insert into job_events (job_id, at, type, reason, data)
    select x.job_id, now(), 'report-implausible',
      'run ' || x.attempt || ' was stored with an impossible start, finish or energy; repaired by migration 0006-run-reports',
      jsonb_build_object(
        'attempt', x.attempt,
        'reported', jsonb_build_object('startedAt', x.started_at, 'finishedAt', x.finished_at, 'energyKwh', x.energy_kwh),
        'booked', jsonb_build_object('startedAt', x.new_start, 'finishedAt', x.new_finish, 'energyKwh', x.new_energy)
      )
    from repairs x
  `.execute(db)
  await sql`alter table job_runs add constraint job_runs_finished_after_started check (finished_at >= started_at)`.execute(db)
}

/** Drops the constraint; repaired runs stay repaired (their events hold the values as stored). */
export async function down (db: Kysely<any>): Promise<void> {
  await sql`alter table job_runs drop constraint job_runs_finished_after_started`.execute(db)
}

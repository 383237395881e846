import { sql } from 'kysely'
import type { Instant, Job, JobPlan, JobState } from '../core/types.js'
import { toJob } from './job-rows.js'
import type { Db } from './schema.js'

/** What re-planning needs of a job waiting to start: its request as submitted, its pools, state, attempt and plan. */
export type WaitingJob = Pick<Job, 'id' | 'state' | 'gpus' | 'durationMinutes' | 'deadline' | 'notBefore' | 'interruptible'
| 'minSegmentMinutes' | 'wattsPerGpu' | 'energyKwh' | 'pools' | 'zones' | 'preferredPool' | 'refusedPools' | 'submittedAt'> & {
  attempt: number
  plan: JobPlan
}

/**
 * Every job in one of `states` whose plan starts after `after` (its first segment), oldest
 * submission first (then id), as `jobsInState` orders them. Read as one JSON array with epoch
 * milliseconds and only the columns planning uses: 20,000 full rows cost ~0.5 s of pg row and
 * Date parsing, the array one JSON.parse.
 */
export async function waitingJobs (db: Db, states: readonly JobState[], after: Instant): Promise<WaitingJob[]> {
  if (states.length === 0) return []
  const ms = (column: string) => sql`(extract(epoch from ${sql.ref(column)}) * 1000)`
  const result = await sql<{ jobs: WaitingJob[] | null }>`
    select json_agg(json_build_object(
        'id', j.id, 'state', j.state, 'gpus', j.gpus, 'durationMinutes', j.duration_minutes,
        'deadline', ${ms('j.deadline')}, 'notBefore', ${ms('j.not_before')}, 'interruptible', j.interruptible,
        'minSegmentMinutes', j.min_segment_minutes, 'wattsPerGpu', j.watts_per_gpu, 'energyKwh', j.energy_kwh,
        'pools', j.pools, 'zones', j.zones, 'preferredPool', j.preferred_pool, 'refusedPools', j.refused_pools,
        'submittedAt', ${ms('j.submitted_at')}, 'attempt', j.attempt, 'plan', j.plan)
      order by j.submitted_at, j.id) as jobs
    from jobs j
    where j.state in (${sql.join([...states])}) and (j.plan -> 'segments' -> 0 ->> 'start')::double precision > ${after}`.execute(db)
  return (result.rows[0]?.jobs ?? []).map(j => ({
    ...j,
    deadline: Math.round(j.deadline),
    notBefore: j.notBefore === null ? null : Math.round(j.notBefore),
    submittedAt: Math.round(j.submittedAt)
  }))
}

/**
 * The planned jobs the dispatcher may act on at `now`, oldest submission first (then id), as
 * `jobsInState` orders them: those whose plan starts by `until` (now + the longest executor lead
 * time) and those planned on a pool not in `enabledPools` (to be planned again). A job planned
 * weeks ahead is not read: with 20,000 planned, reading all took ~0.6 s of each tick.
 */
export async function plannedJobsDue (db: Db, until: Instant, enabledPools: readonly string[]): Promise<Array<Job & { attempt: number }>> {
  const start = sql<number>`(plan -> 'segments' -> 0 ->> 'start')::double precision`
  const pool = sql<string>`coalesce(plan ->> 'pool', '')`
  const rows = await db.selectFrom('jobs').selectAll()
    .where('state', '=', 'planned')
    .where(eb => eb.or([
      eb(start, '<=', until),
      enabledPools.length === 0 ? sql<boolean>`true` : eb(pool, 'not in', [...enabledPools])
    ]))
    .orderBy('submitted_at').orderBy('id')
    .execute()
  return rows.map(r => ({ ...toJob(r), attempt: r.attempt }))
}

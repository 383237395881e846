import { sql } from 'kysely'
import { labelsOf } from '../core/ledger-price.js'
import type { EmissionsFigure, Instant, Interval, Job, JobState, Placement, Risk } from '../core/types.js'
import type { JobWorkEstimate } from '../core/estimate/history.js'
import { toJob } from './job-rows.js'
import type { Db } from './schema.js'

/**
 * What re-planning needs of a job waiting to start: its request as submitted (its command only to
 * know where it may run), its pools, state
 * and attempt, where its plan places it (the plan's pool, zone, segments, energy and expected
 * figure) and its plan's baseline grams.
 */
export type WaitingJob = Pick<Job, 'id' | 'state' | 'gpus' | 'durationMinutes' | 'deadline' | 'notBefore' | 'interruptible'
| 'minSegmentMinutes' | 'wattsPerGpu' | 'energyKwh' | 'pools' | 'zones' | 'preferredPool' | 'refusedPools' | 'submittedAt' | 'command' | 'risk'>
& Partial<Pick<Job, 'workEstimate'>> & {
  attempt: number
  placement: Placement
  baselineGrams: number
  /** The plan's baseline pool: a re-plan keeps it. */
  baselinePool: string
}

type WaitingRow = [string, JobState, number, number, number, number | null, boolean, number, number | null, number | null,
  string[], string[], string | null, string[], number, number, string, string, Interval[], number, EmissionsFigure, number, string, string[] | null, Risk, JobWorkEstimate | null]

/**
 * Every job in one of `states` whose plan starts after `after` (its first segment), oldest
 * submission first (then id), as `jobsInState` orders them. Read as one JSON array of arrays, with
 * epoch milliseconds and only the parts of the plan re-planning uses: 20,000 full rows cost ~0.5 s
 * of pg row and Date parsing, the whole plans as JSON ~13 MB to build and parse.
 */
export async function waitingJobs (db: Db, states: readonly JobState[], after: Instant): Promise<WaitingJob[]> {
  if (states.length === 0) return []
  const ms = (column: string) => sql`(extract(epoch from ${sql.ref(column)}) * 1000)::double precision`
  const result = await sql<{ jobs: WaitingRow[] | null }>`
    select json_agg(json_build_array(
        j.id, j.state, j.gpus, j.duration_minutes, ${ms('j.deadline')}, ${ms('j.not_before')}, j.interruptible,
        j.min_segment_minutes, j.watts_per_gpu, j.energy_kwh, j.pools, j.zones, j.preferred_pool, j.refused_pools,
        ${ms('j.submitted_at')}, j.attempt, j.plan -> 'pool', j.plan -> 'zone', j.plan -> 'segments', j.plan -> 'energyKwh',
        j.plan -> 'expected', j.plan -> 'baseline' -> 'grams', j.plan -> 'baseline' -> 'pool', j.command, j.risk, j.work_estimate)
      order by j.submitted_at, j.id) as jobs
    from jobs j
    where j.state in (${sql.join([...states])}) and (j.plan -> 'segments' -> 0 ->> 'start')::double precision > ${after}`.execute(db)
  return (result.rows[0]?.jobs ?? []).map(toWaitingJob)
}

function toWaitingJob (r: WaitingRow): WaitingJob {
  const [id, state, gpus, durationMinutes, deadline, notBefore, interruptible, minSegmentMinutes, wattsPerGpu, energyKwh,
    pools, zones, preferredPool, refusedPools, submittedAt, attempt, pool, zone, segments, planKwh, expected, baselineGrams, baselinePool, command, risk, workEstimate] = r
  const { grams, signal, source, usesFallback } = expected
  // Plans from before labels were kept state none: the defaults of their signal.
  const { gas, factorType } = labelsOf(expected)
  return {
    id, state, gpus, durationMinutes, deadline: Math.round(deadline), notBefore: notBefore === null ? null : Math.round(notBefore),
    interruptible, minSegmentMinutes, wattsPerGpu, energyKwh, pools, zones, preferredPool, refusedPools,
    submittedAt: Math.round(submittedAt), attempt, command, risk,
    ...(workEstimate === null ? {} : { workEstimate }),
    placement: { pool, zone, segments, energyKwh: planKwh, grams, signal, gas, factorType, source, usesFallback },
    baselineGrams,
    baselinePool
  }
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

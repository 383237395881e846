import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { listEvents } from '../../src/store/events.js'
import { activeReservations, getJobById, insertJob, jobsInState, transitionJob } from '../../src/store/jobs.js'
import { writeNewPlans, writePlanChanges, type PlanPatch } from '../../src/store/moves.js'
import { listSegments, replacePlannedSegments } from '../../src/store/segments.js'
import { createTenant } from '../../src/store/tenants.js'
import { plannedJobsDue, waitingJobs } from '../../src/store/waiting.js'
import { backendName, useTestStore } from '../support/db.js'
import { HOUR, newJob, planOn, T0 } from './fixtures.js'

describe(`re-plan reads and writes (${backendName()})`, () => {
  const store = useTestStore()
  const planned = async (tenantId: string, pool: string, start: number, over: Parameters<typeof newJob>[1] = {}) => {
    const plan = planOn(pool, start)
    const job = newJob(tenantId, { state: 'planned', plan, ...over })
    await insertJob(store().db, job)
    await replacePlannedSegments(store().db, job.id, pool, plan.segments)
    return job
  }
  const patch = (pool: string, start: number): PlanPatch => ({
    pool,
    zone: 'SOUTH',
    segments: [{ start, end: start + HOUR }, { start: start + 2 * HOUR, end: start + 3 * HOUR }],
    energyKwh: 3.4,
    expected: { grams: 500.25, signal: 'average', source: 'replay', method: 'expected', usesFallback: true },
    expectedAvoidedGrams: 1499.75,
    plannedAt: T0 + 5
  })

  it('writes each move as transitionJob and replacePlannedSegments would, leaving alone a job no longer in its state', async () => {
    const { id: tenant } = await createTenant(store().db, 'a')
    const x = await planned(tenant, 'gpu-a', T0 + 4 * HOUR)
    const gone = await planned(tenant, 'gpu-a', T0 + 6 * HOUR)
    await transitionJob(store().db, { id: gone.id, from: ['planned'], to: 'cancelled', at: new Date(T0), reason: 'by test' })
    const before = await sql<{ n: number }>`select count(*)::int as n from pool_releases`.execute(store().db)
    const updated = await writePlanChanges(store().db, [
      { id: x.id, state: 'planned', patch: patch('gpu-b', T0 + 8 * HOUR), reason: 'moved', data: { savingGrams: 734.25 } },
      { id: gone.id, state: 'planned', patch: patch('gpu-b', T0 + 9 * HOUR), reason: 'moved', data: null }
    ], T0 + 7)
    expect(updated).toBe(1)
    const job = await getJobById(store().db, x.id)
    expect(job).toMatchObject({ state: 'planned', updatedAt: T0 + 7, plan: { ...planOn('gpu-a', T0 + 4 * HOUR), ...patch('gpu-b', T0 + 8 * HOUR) } })
    const row = await store().db.selectFrom('jobs').select(['pool', 'latest_safe_start']).where('id', '=', x.id).executeTakeFirstOrThrow()
    expect([row.pool, row.latest_safe_start?.getTime()]).toEqual(['gpu-b', T0 + 20 * HOUR])
    expect((await listSegments(store().db, x.id)).map(s => [s.kind, s.pool, s.start, s.end])).toEqual(
      patch('gpu-b', T0 + 8 * HOUR).segments.map(s => ['planned', 'gpu-b', s.start, s.end]))
    expect((await listEvents(store().db, x.id)).at(-1)).toMatchObject({ at: T0 + 7, type: 'replanned', fromState: 'planned', toState: 'planned', reason: 'moved', data: { savingGrams: 734.25 } })
    expect((await getJobById(store().db, gone.id))?.plan).toEqual(planOn('gpu-a', T0 + 6 * HOUR))
    expect((await listEvents(store().db, gone.id)).map(e => e.type)).not.toContain('replanned')
    const after = await sql<{ n: number }>`select count(*)::int as n from pool_releases`.execute(store().db)
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n + 1)
  })

  it('moves pending jobs to planned with their plans, as transitionJob and replacePlannedSegments would, leaving alone one no longer pending', async () => {
    const { id: tenant } = await createTenant(store().db, 'a')
    const x = newJob(tenant)
    const gone = newJob(tenant)
    await insertJob(store().db, x)
    await insertJob(store().db, gone)
    await transitionJob(store().db, { id: gone.id, from: ['pending'], to: 'cancelled', at: new Date(T0), reason: 'by test' })
    const plan = { ...planOn('gpu-a', T0 + 3 * HOUR), latestSafeStart: T0 + 9 * HOUR }
    expect(await writeNewPlans(store().db, [{ id: x.id, plan, reason: 'planned here' }, { id: gone.id, plan, reason: 'planned here' }], T0 + 7)).toBe(1)
    expect(await getJobById(store().db, x.id)).toMatchObject({ state: 'planned', updatedAt: T0 + 7, plan })
    const row = await store().db.selectFrom('jobs').select(['pool', 'latest_safe_start']).where('id', '=', x.id).executeTakeFirstOrThrow()
    expect([row.pool, row.latest_safe_start?.getTime()]).toEqual(['gpu-a', T0 + 9 * HOUR])
    expect((await listSegments(store().db, x.id)).map(s => [s.kind, s.pool, s.start, s.end])).toEqual([['planned', 'gpu-a', T0 + 3 * HOUR, T0 + 5 * HOUR]])
    expect((await listEvents(store().db, x.id)).at(-1)).toMatchObject({ at: T0 + 7, type: 'transition', fromState: 'pending', toState: 'planned', reason: 'planned here', data: null })
    expect(await getJobById(store().db, gone.id)).toMatchObject({ state: 'cancelled', plan: null })
    expect(await listSegments(store().db, gone.id)).toEqual([])
  })

  it('reads waiting jobs in jobsInState order with their placements, the others\' reservations, and the planned jobs due', async () => {
    const { id: tenant } = await createTenant(store().db, 'a')
    const late = await planned(tenant, 'gpu-a', T0 + 4 * HOUR, { submittedAt: T0 - 1, notBefore: T0 + HOUR, wattsPerGpu: 650.5 })
    const soon = await planned(tenant, 'gpu-b', T0 + HOUR)
    const off = await planned(tenant, 'gpu-off', T0 + 9 * HOUR)
    const started = await planned(tenant, 'gpu-a', T0 - HOUR)
    const waiting = await waitingJobs(store().db, ['planned', 'dispatched'], T0)
    expect(waiting.map(j => j.id)).toEqual((await jobsInState(store().db, ['planned'])).map(j => j.id).filter(id => id !== started.id))
    const plan = planOn('gpu-a', T0 + 4 * HOUR)
    expect(waiting[0]).toEqual({
      id: late.id, state: 'planned', gpus: late.gpus, durationMinutes: late.durationMinutes, deadline: late.deadline, notBefore: T0 + HOUR,
      interruptible: late.interruptible, minSegmentMinutes: late.minSegmentMinutes, wattsPerGpu: 650.5, energyKwh: late.energyKwh,
      pools: late.pools, zones: late.zones, preferredPool: late.preferredPool, refusedPools: late.refusedPools, submittedAt: T0 - 1, attempt: 0, command: late.command, risk: late.risk,
      placement: { pool: 'gpu-a', zone: plan.zone, segments: plan.segments, energyKwh: plan.energyKwh, grams: plan.expected.grams, signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: 'replay', usesFallback: false },
      baselineGrams: 2000,
      baselinePool: plan.baseline.pool
    })
    const all = await activeReservations(store().db)
    expect(await activeReservations(store().db, waiting.map(j => j.id))).toEqual(all.filter(r => r.jobId === started.id))
    // Not `late` (starts after T0 + 2 h on an enabled pool): the others, as jobsInState orders them.
    const due = new Set([soon.id, off.id, started.id])
    expect((await plannedJobsDue(store().db, T0 + 2 * HOUR, ['gpu-a', 'gpu-b'])).map(j => j.id))
      .toEqual((await jobsInState(store().db, ['planned'])).map(j => j.id).filter(id => due.has(id)))
  })
})

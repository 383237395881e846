import { describe, expect, it } from 'vitest'
import type { Job } from '../../src/core/types.js'
import { appendEvent, listEvents } from '../../src/store/events.js'
import {
  activeReservations, findByIdempotencyKey, getJob, insertJob, InvalidCursorError, jobsInState, listJobs, transitionJob
} from '../../src/store/jobs.js'
import { listSegments, replacePlannedSegments } from '../../src/store/segments.js'
import { createTenant } from '../../src/store/tenants.js'
import { backendName, useTestStore } from '../support/db.js'
import { HOUR, newJob, planOn, T0 } from './fixtures.js'

describe(`jobs, segments, events (${backendName()})`, () => {
  const store = useTestStore()
  const tenants = async () => ({ a: await createTenant(store().db, 'a'), b: await createTenant(store().db, 'b') })

  it('gets a job only for its own tenant', async () => {
    const { a, b } = await tenants()
    const job = newJob(a.id)
    await insertJob(store().db, job)
    expect((await getJob(store().db, a.id, job.id))?.id).toBe(job.id)
    expect(await getJob(store().db, b.id, job.id)).toBeUndefined()
    expect((await listJobs(store().db, b.id, { limit: 10 })).jobs).toEqual([])
    expect((await listJobs(store().db, a.id, { limit: 10 })).jobs.map((j) => j.id)).toEqual([job.id])
  })

  it('finds a job by idempotency key, per tenant, and refuses a duplicate key', async () => {
    const { a, b } = await tenants()
    const job = newJob(a.id, { idempotencyKey: 'k1', requestHash: 'h1' })
    await insertJob(store().db, job)
    expect(await findByIdempotencyKey(store().db, a.id, 'k1')).toMatchObject({ job: { id: job.id }, requestHash: 'h1' })
    expect(await findByIdempotencyKey(store().db, b.id, 'k1')).toBeUndefined()
    await insertJob(store().db, newJob(b.id, { idempotencyKey: 'k1' }))
    await insertJob(store().db, newJob(a.id))
    await insertJob(store().db, newJob(a.id))
    await expect(insertJob(store().db, newJob(a.id, { idempotencyKey: 'k1' }))).rejects.toMatchObject({ code: '23505' })
  })

  it('pages 25 jobs by 10, newest first, with ties on submitted_at', async () => {
    const { a, b } = await tenants()
    // Three jobs share each submission instant, so (submitted_at, id) has to break the ties.
    const jobs = Array.from({ length: 25 }, (_, i) => newJob(a.id, { submittedAt: T0 + Math.floor(i / 3) * 1000 }))
    for (const job of jobs) await insertJob(store().db, job)
    await insertJob(store().db, newJob(b.id, { submittedAt: T0 + 5000 }))
    const seen: Job[] = []
    const sizes: number[] = []
    let cursor: string | undefined
    do {
      const page = await listJobs(store().db, a.id, { cursor, limit: 10 })
      seen.push(...page.jobs)
      sizes.push(page.jobs.length)
      cursor = page.nextCursor ?? undefined
    } while (cursor !== undefined)
    expect(sizes).toEqual([10, 10, 5])
    const expected = [...jobs].sort((x, y) => y.submittedAt - x.submittedAt || (y.id < x.id ? -1 : 1))
    expect(seen.map((j) => j.id)).toEqual(expected.map((j) => j.id))
    expect(new Set(seen.map((j) => j.id)).size).toBe(25)
  })

  it('filters the list by state and rejects a forged cursor', async () => {
    const { a } = await tenants()
    await insertJob(store().db, newJob(a.id))
    const planned = newJob(a.id, { state: 'planned' })
    await insertJob(store().db, planned)
    expect((await listJobs(store().db, a.id, { state: 'planned', limit: 5 })).jobs.map((j) => j.id)).toEqual([planned.id])
    await expect(listJobs(store().db, a.id, { cursor: 'not-a-cursor', limit: 5 })).rejects.toBeInstanceOf(InvalidCursorError)
    const wrongShape = Buffer.from('{"a":1}').toString('base64url')
    await expect(listJobs(store().db, a.id, { cursor: wrongShape, limit: 5 })).rejects.toBeInstanceOf(InvalidCursorError)
  })

  it('transitions only from allowed states and records each transition', async () => {
    const { a } = await tenants()
    const job = newJob(a.id)
    await insertJob(store().db, job)
    const at = new Date(T0 + 60_000)
    const plan = planOn('gpu-a', T0 + HOUR)
    expect(await transitionJob(store().db, { id: job.id, from: ['planned'], to: 'dispatched', at, reason: 'x' })).toBeUndefined()
    expect(await transitionJob(store().db, { id: 'missing', from: ['pending'], to: 'planned', at, reason: 'x' })).toBeUndefined()
    const moved = await transitionJob(store().db, { id: job.id, from: ['pending'], to: 'planned', at, reason: 'planned on gpu-a', plan })
    expect(moved).toMatchObject({ state: 'planned', updatedAt: T0 + 60_000, plan })
    const row = await store().db.selectFrom('jobs').select(['pool', 'latest_safe_start']).executeTakeFirstOrThrow()
    expect(row).toEqual({ pool: 'gpu-a', latest_safe_start: new Date(plan.latestSafeStart) })

    await store().db.transaction().execute(async (trx) => {
      const cancelled = await transitionJob(trx, { id: job.id, from: ['pending', 'planned', 'dispatched'], to: 'cancelled', at, reason: 'user', plan: null, data: { by: 'me' } })
      expect(cancelled).toMatchObject({ state: 'cancelled', plan: null })
    })
    expect(await transitionJob(store().db, { id: job.id, from: [], to: 'failed', at, reason: 'x' })).toBeUndefined()
    const events = await listEvents(store().db, job.id)
    expect(events.map((e) => [e.type, e.fromState, e.toState, e.reason, e.data])).toEqual([
      ['transition', 'pending', 'planned', 'planned on gpu-a', null],
      ['transition', 'planned', 'cancelled', 'user', { by: 'me' }]
    ])
    expect(events[0]?.at).toBe(T0 + 60_000)
  })

  it('appends and lists events in order', async () => {
    const { a } = await tenants()
    const job = newJob(a.id)
    await insertJob(store().db, job)
    const first = await appendEvent(store().db, { jobId: job.id, at: new Date(T0), type: 'submitted', fromState: null, toState: 'pending', reason: 'accepted', data: null })
    const second = await appendEvent(store().db, { jobId: job.id, at: new Date(T0 - 1), type: 'note', reason: 'clock skew', data: [1, 2] })
    expect(second).toBeGreaterThan(first)
    expect(await listEvents(store().db, job.id)).toEqual([
      { id: first, jobId: job.id, at: T0, type: 'submitted', fromState: null, toState: 'pending', reason: 'accepted', data: null },
      { id: second, jobId: job.id, at: T0 - 1, type: 'note', fromState: null, toState: null, reason: 'clock skew', data: [1, 2] }
    ])
  })

  it('replaces planned segments and reserves GPUs only for active jobs', async () => {
    const { a } = await tenants()
    const [planned, running, pending, done] = (['planned', 'running', 'pending', 'succeeded'] as const).map((state) => newJob(a.id, { state, gpus: 2 }))
    for (const job of [planned, running, pending, done]) {
      if (job === undefined) throw new Error('fixture')
      await insertJob(store().db, job)
      await replacePlannedSegments(store().db, job.id, 'gpu-a', [{ start: T0, end: T0 + HOUR }])
    }
    if (planned === undefined || running === undefined) throw new Error('fixture')
    const twoSlices = [{ start: T0 + 2 * HOUR, end: T0 + 3 * HOUR }, { start: T0 + 5 * HOUR, end: T0 + 6 * HOUR }]
    await replacePlannedSegments(store().db, planned.id, 'gpu-b', twoSlices)
    expect((await listSegments(store().db, planned.id)).map((s) => [s.kind, s.pool, s.start, s.end])).toEqual(
      twoSlices.map((i) => ['planned', 'gpu-b', i.start, i.end]))

    const reservations = await activeReservations(store().db)
    expect(reservations).toEqual([
      { pool: 'gpu-a', gpus: 2, start: T0, end: T0 + HOUR, jobId: running.id },
      ...twoSlices.map((i) => ({ pool: 'gpu-b', gpus: 2, ...i, jobId: planned.id }))
    ])
    await replacePlannedSegments(store().db, planned.id, 'gpu-b', [])
    expect(await listSegments(store().db, planned.id)).toEqual([])
    expect((await activeReservations(store().db)).map((r) => r.jobId)).toEqual([running.id])
  })

  it('lists the jobs in given states, oldest first, across tenants', async () => {
    const { a, b } = await tenants()
    const older = newJob(b.id, { submittedAt: T0 - 1 })
    const newer = newJob(a.id)
    await insertJob(store().db, newer)
    await insertJob(store().db, older)
    await insertJob(store().db, newJob(a.id, { state: 'failed' }))
    expect((await jobsInState(store().db, ['pending'])).map((j) => j.id)).toEqual([older.id, newer.id])
    expect(await jobsInState(store().db, [])).toEqual([])
  })
})

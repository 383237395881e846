import { sql } from 'kysely'
import { afterEach, describe, expect, test } from 'vitest'
import { finishRun, loseRun, startRun } from '../../src/scheduler/runs.js'
import type { Store } from '../../src/store/db.js'
import { listEvents } from '../../src/store/events.js'
import { getJobById, transitionJob } from '../../src/store/jobs.js'
import { getRun, insertRun } from '../../src/store/runs.js'
import { insertActualSegment, listSegments } from '../../src/store/segments.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { backendName, openSibling } from '../support/db.js'

const t = useTestApp()
let sibling: Store | undefined
afterEach(async () => { await sibling?.close(); sibling = undefined })

/** A job running as attempt 1 on gpu-north since NOW. */
async function runningJob (): Promise<string> {
  const res = await t().app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name: 'race', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 20 * HOUR), pools: ['gpu-north'] }
  })
  const id = res.json().id as string
  const db = t().deps.store.db
  await transitionJob(db, { id, from: ['planned'], to: 'dispatched', at: new Date(NOW), reason: 'test', attempt: 1 })
  await insertRun(db, { jobId: id, attempt: 1, pool: 'gpu-north', executor: 'webhook', at: NOW })
  await startRun(t().deps, id, 1, NOW, NOW)
  return id
}

const finished = (id: string) => async () => await finishRun(t().deps, id, 1, { exitCode: 0, startedAt: NOW, finishedAt: NOW + HOUR, energyKwh: 0.4 }, NOW + HOUR)
const silent = (id: string) => async () => await loseRun(t().deps, id, 1, 'the webhook receiver sent no report; released back to planning', NOW + HOUR)

/**
 * Runs both closers at once. On PostgreSQL a third connection holds the run's row lock until both
 * have read the open run and wait at their closing update, so they truly race at the worst moment;
 * PGlite runs one statement at a time, and there the two interleave statement by statement.
 */
async function race (id: string, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<unknown[]> {
  if (backendName() === 'pglite') return await Promise.all([a(), b()])
  sibling = await openSibling(t().deps.store)
  const holder = sibling
  let release!: () => void
  const held = new Promise<void>(resolve => { release = resolve })
  let locked!: () => void
  const lockTaken = new Promise<void>(resolve => { locked = resolve })
  const holding = holder.db.transaction().execute(async trx => {
    await sql`select 1 from job_runs where job_id = ${id} for update`.execute(trx)
    locked()
    await held
  })
  await lockTaken
  const both = Promise.all([a(), b()])
  for (let i = 0; i < 400; i++) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like 'update "job_runs"%'`.execute(holder.db)
    if ((rows[0]?.n ?? 0) >= 2) break
    await new Promise(resolve => setImmediate(resolve))
  }
  release()
  await holding
  return await both
}

describe(`two reporters closing one run at once (${backendName()})`, () => {
  test('a webhook `finished` twice: one closes the run; one actual segment, one terminal event', async () => {
    const id = await runningJob()
    const results = await race(id, finished(id), finished(id)) as Array<{ applied: boolean }>
    expect(results.filter(r => r.applied)).toHaveLength(1)
    expect((await listSegments(t().deps.store.db, id)).filter(s => s.kind === 'actual')).toHaveLength(1)
    const events = await listEvents(t().deps.store.db, id)
    expect(events.filter(e => e.toState === 'succeeded')).toHaveLength(1)
  })

  test('a webhook `finished` against the silence watchdog: the loser changes nothing', async () => {
    const id = await runningJob()
    const [fin, lost] = await race(id, finished(id), silent(id)) as [{ applied: boolean }, boolean]
    expect([fin.applied, lost].filter(Boolean)).toHaveLength(1)
    const run = await getRun(t().deps.store.db, id, 1)
    const job = await getJobById(t().deps.store.db, id)
    const actual = (await listSegments(t().deps.store.db, id)).filter(s => s.kind === 'actual')
    if (fin.applied) {
      expect([run?.outcome, job?.state, actual.length]).toEqual(['succeeded', 'succeeded', 1])
    } else {
      expect([run?.outcome, job?.state, actual.length]).toEqual(['lost', 'pending', 0])
    }
    const moves = (await listEvents(t().deps.store.db, id)).filter(e => e.fromState === 'running')
    expect(moves.map(e => e.toState)).toEqual([fin.applied ? 'succeeded' : 'pending'])
  })

  test('the schema allows one actual segment per attempt', async () => {
    const id = await runningJob()
    const db = t().deps.store.db
    expect(await insertActualSegment(db, id, 1, 'gpu-north', { start: NOW, end: NOW + HOUR })).toBe(true)
    expect(await insertActualSegment(db, id, 1, 'gpu-north', { start: NOW, end: NOW + 2 * HOUR })).toBe(false)
    expect(await insertActualSegment(db, id, 2, 'gpu-north', { start: NOW + 2 * HOUR, end: NOW + 3 * HOUR })).toBe(true)
    expect((await listSegments(db, id)).filter(s => s.kind === 'actual').map(s => s.end)).toEqual([NOW + HOUR, NOW + 3 * HOUR])
  })
})

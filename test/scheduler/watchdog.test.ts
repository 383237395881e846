import { expect, test } from 'vitest'
import type { Executor, RunReport } from '../../src/executors/executor.js'
import { tick } from '../../src/scheduler/tick.js'
import { listEvents } from '../../src/store/events.js'
import { getJobById } from '../../src/store/jobs.js'
import { listRuns } from '../../src/store/runs.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()
const MIN = 60_000

async function submit (payload: Record<string, unknown>): Promise<string> {
  const res = await t().app.inject({ method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a), payload })
  expect(res.statusCode).toBe(201)
  return res.json().id
}

const reasons = async (id: string) => (await listEvents(t().deps.store.db, id)).map(e => `${e.type}: ${e.reason}`)

test('a job no agent ever claims fails with the cause at the last start that meets its deadline, and frees its GPUs', async () => {
  const id = await submit({ name: 'orphan', gpus: 1, durationMinutes: 60, deadline: iso(NOW + 2 * HOUR), pools: ['gpu-north'], command: ['true'] })
  for (let now = NOW; now <= NOW + 3 * HOUR; now += 10 * MIN) await tick(t().deps, 'leader', now, 30 * MIN)
  expect((await getJobById(t().deps.store.db, id))?.state).toBe('failed')
  const failed = (await reasons(id)).find(r => r.includes('→') === false && r.includes('deadline-missed'))
  expect(failed).toContain(`had not started the job by ${iso(NOW + HOUR)}`)
  expect((await listRuns(t().deps.store.db, id))[0]).toMatchObject({ outcome: 'failed', startedAt: null })
})

test('a cancel reaches the executor even when the hand-over reply was lost (the executor may hold the job)', async () => {
  const atExecutor = new Set<string>()
  const cancelled: string[] = []
  t().deps.executorFor = () => ({
    kind: 'slurm',
    leadMs: 48 * HOUR,
    dispatch: async h => { atExecutor.add(`${h.job.id}.${h.attempt}`); throw new Error('no answer within 10000 ms') },
    cancel: async h => { cancelled.push(`${h.job.id}.${h.attempt}`) },
    poll: async () => ({ state: 'queued', startedAt: null, finishedAt: null, exitCode: null, energyKwh: null, detail: null })
  })
  const id = await submit({ name: 'held', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 20 * HOUR), pools: ['gpu-north'] })
  await tick(t().deps, 'leader', NOW, 30 * MIN)
  expect(atExecutor.has(`${id}.1`)).toBe(true)
  expect((await t().app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: t().auth(t().keys.a) })).statusCode).toBe(200)
  await tick(t().deps, 'leader', NOW + 10 * MIN, 30 * MIN)
  await tick(t().deps, 'leader', NOW + 20 * MIN, 30 * MIN)
  expect(cancelled).toEqual([`${id}.1`])
  expect((await listRuns(t().deps.store.db, id))[0]?.outcome).toBe('cancelled')
})

test('a job whose window passed while the scheduler was down is dispatched at once, and the late finish is recorded with its cause', async () => {
  const { deps, clock } = t()
  const started = new Map<string, number>()
  const executor: Executor = {
    kind: 'slurm',
    leadMs: 0,
    dispatch: async (h, now) => { started.set(h.job.id, now); return { ref: h.job.id } },
    cancel: async () => {},
    poll: async (h): Promise<RunReport> => {
      const s = started.get(h.job.id)!
      return clock.now < s + 60 * MIN
        ? { state: 'running', startedAt: s, finishedAt: null, exitCode: null, energyKwh: null, detail: null }
        : { state: 'succeeded', startedAt: s, finishedAt: s + 60 * MIN, exitCode: 0, energyKwh: null, detail: null }
    }
  }
  deps.executorFor = () => executor
  const id = await submit({ name: 'late', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 3 * HOUR), pools: ['gpu-north'] })
  // The scheduler was down until 12:30; the deadline is 13:00 and the job needs an hour.
  for (let now = NOW + 150 * MIN; now <= NOW + 5 * HOUR; now += 10 * MIN) {
    clock.now = now
    await tick(deps, 'leader', now, 30 * MIN)
  }
  expect((await getJobById(deps.store.db, id))?.state).toBe('succeeded')
  const events = await reasons(id)
  expect(events.find(r => r.startsWith('deadline-at-risk'))).toContain('30 min after the last start that meets the deadline')
  expect(events.find(r => r.startsWith('deadline-missed'))).toContain('finished 30 min after its deadline')
})

test('a planned job whose pool is disabled goes back to planning and is planned into an enabled pool', async () => {
  const id = await submit({ name: 'moves', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR), preferredPool: 'gpu-north' })
  const before = await getJobById(t().deps.store.db, id)
  const off = before?.plan?.pool ?? ''
  const other = off === 'gpu-north' ? 'gpu-south' : 'gpu-north'
  await t().app.inject({ method: 'PATCH', url: `/v1/pools/${off}`, headers: t().auth(t().keys.operator), payload: { enabled: false } })
  const first = await tick(t().deps, 'leader', NOW + MIN, 30 * MIN)
  expect(first).toMatchObject({ unplanned: 1 })
  await tick(t().deps, 'leader', NOW + 2 * MIN, 30 * MIN)
  const after = await getJobById(t().deps.store.db, id)
  expect(after?.plan?.pool).toBe(other)
  expect(await reasons(id)).toContain(`transition: pool ${off} is disabled or gone; planning again`)
})

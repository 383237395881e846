import { expect, test } from 'vitest'
import type { Executor } from '../../src/executors/executor.js'
import { refreshForecast } from '../../src/scheduler/forecasts.js'
import { unguardedPass } from '../../src/scheduler/pass.js'
import { replanWaiting } from '../../src/scheduler/replan.js'
import { tick } from '../../src/scheduler/tick.js'
import { listEvents } from '../../src/store/events.js'
import { activeReservations, getJobById } from '../../src/store/jobs.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { fakeGrid } from './grid.js'

const t = useTestApp()
const MIN = 60_000
const hourOf = (ts: number) => new Date(ts).getUTCHours()

async function submit (payload: Record<string, unknown>): Promise<string> {
  const res = await t().app.inject({ method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a), payload })
  expect(res.statusCode).toBe(201)
  return res.json().id
}

/**
 * Job a (8 GPUs, all of gpu-north) is planned at 12:00 and handed to a Slurm-like executor that holds
 * it; b (8 GPUs) waits for 20:00. A new forecast makes 11:00 greener still: a should move to 11:00
 * (its begin time moved at the executor), which frees 12:00 for b.
 */
async function setUp (reschedule: Executor['reschedule']) {
  const { deps } = t()
  const north = fakeGrid('fake', 'average', ts => hourOf(ts) === 12 ? 100 : hourOf(ts) === 20 ? 200 : 500)
  north.forecastHours = 48
  deps.providers.set('NORTH', north)
  deps.providers.set('SOUTH', fakeGrid('fake', 'average', () => 900))
  const moved: string[] = []
  deps.executorFor = () => ({
    kind: 'slurm',
    leadMs: 3 * HOUR,
    dispatch: async h => ({ ref: `${h.job.id}.${h.attempt}` }),
    reschedule: async (h, start) => { moved.push(`${h.job.name} ${h.ref ?? ''} ${iso(start)}`); await reschedule?.(h, start) },
    cancel: async () => {},
    poll: async () => ({ state: 'queued', startedAt: null, finishedAt: null, exitCode: null, energyKwh: null, detail: null })
  })
  const a = await submit({ name: 'a', command: ['train'], gpus: 8, durationMinutes: 60, deadline: iso(NOW + 5 * HOUR), pools: ['gpu-north'] })
  const b = await submit({ name: 'b', command: ['train'], gpus: 8, durationMinutes: 60, notBefore: iso(NOW + 90 * MIN), deadline: iso(NOW + 12 * HOUR), pools: ['gpu-north'] })
  await tick(deps, 'leader', NOW, 30 * MIN)
  expect((await getJobById(deps.store.db, a))?.state).toBe('dispatched')
  north.value = ts => hourOf(ts) === 11 ? 50 : hourOf(ts) === 12 ? 100 : hourOf(ts) === 20 ? 200 : 500
  await refreshForecast(deps, 'NORTH', NOW + 5 * MIN)
  return { a, b, moved }
}

const startOf = async (id: string) => iso((await getJobById(t().deps.store.db, id))!.plan!.segments[0]!.start)
const gpusAtNoon = async () => (await activeReservations(t().deps.store.db))
  .filter(r => r.pool === 'gpu-north' && r.start < NOW + 3 * HOUR && r.end > NOW + 2 * HOUR).reduce((n, r) => n + r.gpus, 0)

test('a handed-over job moves only once its executor moved it, and the job planned after it takes the freed slot', async () => {
  const { a, b, moved } = await setUp(async () => {})
  expect(await replanWaiting(t().deps, NOW + 5 * MIN, unguardedPass())).toBe(2)
  expect(moved).toEqual([`a ${a}.1 ${iso(NOW + HOUR)}`])
  expect([await startOf(a), await startOf(b)]).toEqual([iso(NOW + HOUR), iso(NOW + 2 * HOUR)])
  expect(await gpusAtNoon()).toBe(8)
  expect((await listEvents(t().deps.store.db, a)).filter(e => e.type === 'replanned')).toHaveLength(1)
})

test('when the executor refuses to move a handed-over job, no later move is made, so the pool is never overbooked', async () => {
  const { a, b } = await setUp(async () => { throw new Error('slurmrestd: HTTP 503') })
  expect(await replanWaiting(t().deps, NOW + 5 * MIN, unguardedPass())).toBe(0)
  expect([await startOf(a), await startOf(b)]).toEqual([iso(NOW + 2 * HOUR), iso(NOW + 10 * HOUR)])
  expect(await gpusAtNoon()).toBe(8)
})

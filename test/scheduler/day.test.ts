import { expect, test } from 'vitest'
import type { Instant, Pool } from '../../src/core/types.js'
import type { Executor, Handover, RunReport } from '../../src/executors/executor.js'
import { tick } from '../../src/scheduler/tick.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { fakeGrid } from './grid.js'

const t = useTestApp()
const MINUTE = 60_000

/**
 * A polled executor that runs what it is given for its planned duration from the moment its
 * window opens, on the test's clock, and remembers every call.
 */
function fakeCluster (clock: { now: Instant }) {
  const runs = new Map<string, { start: Instant, h: Handover, cancelled: boolean }>()
  const calls: string[] = []
  const executor: Executor = {
    kind: 'slurm',
    leadMs: 0,
    dispatch: async (h, now) => {
      calls.push(`dispatch ${h.job.name} ${iso(now)}`)
      const ref = `${h.job.id}.${h.attempt}`
      if (!runs.has(ref)) runs.set(ref, { start: now, h, cancelled: false })
      return { ref }
    },
    cancel: async h => { calls.push(`cancel ${h.job.name}`) },
    poll: async (h): Promise<RunReport> => {
      const run = runs.get(h.ref ?? '')
      if (run === undefined) return { state: 'failed', startedAt: null, finishedAt: null, exitCode: null, energyKwh: null, detail: 'unknown' }
      const end = run.start + h.job.durationMinutes * MINUTE
      if (clock.now < end) return { state: 'running', startedAt: run.start, finishedAt: null, exitCode: null, energyKwh: null, detail: null }
      return { state: 'succeeded', startedAt: run.start, finishedAt: end, exitCode: 0, energyKwh: null, detail: null }
    }
  }
  return { executor, calls, runs }
}

async function job (id: string) {
  const res = await t().app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: t().auth(t().keys.a) })
  return res.json()
}

async function submit (payload: Record<string, unknown>): Promise<string> {
  const res = await t().app.inject({ method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a), payload })
  expect(res.statusCode).toBe(201)
  return res.json().id
}

test('through a whole day: jobs move to green hours, run on time, are re-planned on a new forecast, and meet deadlines through an outage', async () => {
  const { deps, clock } = t()
  // NORTH is green (100 g/kWh) 18:00–22:00 UTC and 500 otherwise; SOUTH is a flat 400.
  const north = fakeGrid('fake', 'average', ts => { const h = new Date(ts).getUTCHours(); return h >= 18 && h < 22 ? 100 : 500 })
  const south = fakeGrid('fake', 'average', () => 400)
  north.forecastHours = 48
  south.forecastHours = 48
  deps.providers.set('NORTH', north)
  deps.providers.set('SOUTH', south)
  const cluster = fakeCluster(clock)
  deps.executorFor = (_pool: Pool) => cluster.executor

  const evening = await submit({ name: 'evening', command: ['train'], gpus: 4, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), pools: ['gpu-north'] })
  const urgent = await submit({ name: 'urgent', command: ['train'], gpus: 2, durationMinutes: 60, deadline: iso(NOW + 3 * HOUR), pools: ['gpu-north'] })
  expect((await job(evening)).plan.segments[0].start).toBe(iso(NOW + 8 * HOUR))

  let late: string | undefined
  for (let now = NOW; now <= NOW + 24 * HOUR; now += 10 * MINUTE) {
    clock.now = now
    // At 12:00 a new forecast makes 14:00–16:00 greener still (50 g/kWh) than the evening.
    if (now === NOW + 2 * HOUR) north.value = ts => { const h = new Date(ts).getUTCHours(); return h >= 14 && h < 16 ? 50 : h >= 18 && h < 22 ? 100 : 500 }
    // At 16:00 every provider fails for the rest of the day; a job submitted then must still meet its deadline.
    if (now === NOW + 6 * HOUR) {
      north.down = true
      south.down = true
      late = await submit({ name: 'late', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 12 * HOUR), pools: ['gpu-north'] })
    }
    await tick(deps, 'leader', now, 3 * 10 * MINUTE)
  }
  const lifecycle = (j: { events: Array<{ toState: string | null }> }) => j.events.flatMap(ev => ev.toState === null ? [] : [ev.toState])
  const LIFE = ['pending', 'planned', 'dispatched', 'running', 'succeeded']

  const e = await job(evening)
  expect(lifecycle(e)).toEqual([...LIFE.slice(0, 2), 'planned', ...LIFE.slice(2)])
  const replanned = e.events.filter((ev: { type: string }) => ev.type === 'replanned')
  expect(replanned).toHaveLength(1)
  expect(replanned[0].reason).toContain(`→ gpu-north ${iso(NOW + 4 * HOUR)}`)
  // Dispatched in its (new) window, at the first tick at or after 14:00, never before.
  expect(cluster.calls.find(c => c.startsWith('dispatch evening'))).toBe(`dispatch evening ${iso(NOW + 4 * HOUR)}`)
  expect(cluster.calls.filter(c => c.startsWith('dispatch evening'))).toHaveLength(1)

  const u = await job(urgent)
  expect(lifecycle(u)).toEqual(LIFE)
  expect(Date.parse(u.events.at(-1).at)).toBeLessThanOrEqual(NOW + 3 * HOUR)

  // Accepted during the outage: planned on the stored forecast, run, and done before its deadline.
  const l = await job(late!)
  expect(lifecycle(l)).toEqual(LIFE)
  expect(l.plan.expected.source).toMatch(/^fake:NORTH@\d{4}-/)
  expect(Date.parse(l.events.at(-1).at)).toBeLessThanOrEqual(NOW + 12 * HOUR)
})

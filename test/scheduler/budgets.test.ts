import { sql } from 'kysely'
import { expect, test } from 'vitest'
import type { Executor, Handover } from '../../src/executors/executor.js'
import { SlurmError } from '../../src/executors/slurm-client.js'
import { limitsFor, type TickLimits } from '../../src/scheduler/pass.js'
import { tick } from '../../src/scheduler/tick.js'
import { listEvents } from '../../src/store/events.js'
import { getJobById } from '../../src/store/jobs.js'
import { listRuns } from '../../src/store/runs.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()
const LEASE_MS = 60_000
const limits = (over: Partial<TickLimits>): TickLimits => ({ ...limitsFor(LEASE_MS), ...over })

async function submit (name: string, pools: string[] = ['gpu-north']): Promise<string> {
  const res = await t().app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name, command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 2 * HOUR), pools }
  })
  expect(res.statusCode).toBe(201)
  return res.json().id
}

/** An executor of `kind` whose hand-overs run `dispatch`; everything else succeeds at once. */
function executor (dispatch: (h: Handover, signal?: AbortSignal) => Promise<{ ref: string | null }>, kind: Executor['kind'] = 'webhook'): Executor {
  return { kind, leadMs: 0, dispatch: async (h, _now, signal) => await dispatch(h, signal), cancel: async () => {} }
}

/** Resolves when `signal` aborts, as a call to a receiver that never answers. */
const hang = async (signal?: AbortSignal): Promise<never> => await new Promise((_resolve, reject) => {
  signal?.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
})

const types = async (id: string) => (await listEvents(t().deps.store.db, id)).map(e => e.type)

test('hand-overs run concurrently: three receivers are called before any of them answers', async () => {
  let inFlight = 0
  let open!: () => void
  const allIn = new Promise<void>(resolve => { open = resolve })
  t().deps.executorFor = () => executor(async () => {
    if (++inFlight === 3) open()
    await allIn
    return { ref: null }
  })
  for (const name of ['a', 'b', 'c']) await submit(name)
  expect(await tick(t().deps, 'leader', NOW, LEASE_MS)).toMatchObject({ dispatched: 3, handedOver: 3, errors: [] })
})

test('a receiver that never answers costs one call timeout; the others are handed over in the same pass', async () => {
  const calls: string[] = []
  t().deps.executorFor = () => executor(async (h, signal) => {
    calls.push(h.job.name)
    return h.job.name === 'stuck' ? await hang(signal) : { ref: null }
  })
  const stuck = await submit('stuck')
  await submit('fine-1')
  await submit('fine-2')
  const result = await tick(t().deps, 'leader', NOW, LEASE_MS, () => NOW, limits({ callTimeoutMs: 50 }))
  expect(result).toMatchObject({ dispatched: 3, handedOver: 2 })
  const [run] = await listRuns(t().deps.store.db, stuck)
  expect(run).toMatchObject({ acceptedAt: null, handoverTries: 1, retryAt: NOW + 5_000 })
  expect(run?.detail).toContain('no answer within 50 ms')
  expect(await types(stuck)).toContain('handover-failed')

  // Backed off: not called again before its retry time, then called again.
  calls.length = 0
  await tick(t().deps, 'leader', NOW + 1_000, LEASE_MS, () => NOW, limits({ callTimeoutMs: 50 }))
  expect(calls).toEqual([])
  await tick(t().deps, 'leader', NOW + 5_000, LEASE_MS, () => NOW, limits({ callTimeoutMs: 50 }))
  expect(calls).toEqual(['stuck'])
  expect((await listRuns(t().deps.store.db, stuck))[0]).toMatchObject({ handoverTries: 2, retryAt: NOW + 15_000 })
  expect((await types(stuck)).filter(x => x === 'handover-failed')).toHaveLength(1)
})

test('the pass starts no executor call once its budget is spent; the next pass hands over the rest', async () => {
  const clock = { now: NOW }
  const handed: string[] = []
  t().deps.executorFor = () => executor(async h => {
    handed.push(h.job.name)
    clock.now += 10_000 // each call takes 10 s
    return { ref: null }
  })
  for (const name of ['a', 'b', 'c', 'd', 'e']) await submit(name)
  const first = await tick(t().deps, 'leader', NOW, LEASE_MS, () => clock.now, limits({ budgetMs: 25_000, concurrency: 1 }))
  expect(first).toMatchObject({ dispatched: 5, handedOver: 3 })
  const second = await tick(t().deps, 'leader', NOW + 30_000, LEASE_MS, () => clock.now, limits({ budgetMs: 25_000, concurrency: 1 }))
  expect(second).toMatchObject({ dispatched: 0, handedOver: 2 })
  expect(handed.sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
})

test('a permanent refusal ends the attempt at once with the executor\'s message, and the job is planned on another allowed pool', async () => {
  const parsing = new SlurmError('rejected', 'Slurm POST /slurm/v0.0.38/job/submit: HTTP 400: Failure during parsing', [], { status: 400 })
  const id = await submit('gres', ['gpu-north', 'gpu-south'])
  const first = (await getJobById(t().deps.store.db, id))?.plan?.pool
  const other = first === 'gpu-north' ? 'gpu-south' : 'gpu-north'
  t().deps.executorFor = pool => pool.name === first
    ? executor(async () => { throw parsing }, 'slurm')
    : executor(async () => ({ ref: null }), 'agent')
  expect(await tick(t().deps, 'leader', NOW, LEASE_MS)).toMatchObject({ dispatched: 1, refused: 1 })
  const events = await listEvents(t().deps.store.db, id)
  expect(events.find(e => e.type === 'handover-refused')?.reason).toContain('Failure during parsing')
  expect((await listRuns(t().deps.store.db, id))[0]).toMatchObject({ outcome: 'refused', detail: parsing.message })
  expect(await getJobById(t().deps.store.db, id)).toMatchObject({ state: 'pending', refusedPools: [first] })
  await tick(t().deps, 'leader', NOW + 1_000, LEASE_MS)
  const job = await getJobById(t().deps.store.db, id)
  expect(job?.plan?.pool).toBe(other)
  expect(job?.state).toBe('dispatched')
})

test('a permanent refusal with no other allowed pool fails the job at once, with the cause', async () => {
  t().deps.executorFor = () => executor(async () => { throw new SlurmError('rejected', 'HTTP 400: Failure during parsing', [], { status: 400 }) }, 'slurm')
  const id = await submit('only-north')
  await tick(t().deps, 'leader', NOW, LEASE_MS)
  const job = await getJobById(t().deps.store.db, id)
  expect(job?.state).toBe('failed')
  const last = (await listEvents(t().deps.store.db, id)).at(-1)
  expect(last?.reason).toContain('Failure during parsing; no other allowed pool remains')
})

test('a bad zone does not stop the pass: jobs of other zones are planned and dispatched', async () => {
  t().deps.executorFor = () => executor(async () => ({ ref: null }), 'agent')
  const db = t().deps.store.db
  // Garbage stored for NORTH (an infinite intensity) cannot be planned on; SOUTH is fine.
  await sql`insert into intensity_points (zone, start_at, end_at, g_per_kwh, kind, signal, source, fetched_at)
    values ('NORTH', ${new Date(NOW)}, ${new Date(NOW + 48 * HOUR)}, 'Infinity', 'forecast', 'average', 'garbage', ${new Date(NOW + 1)})`.execute(db)
  const res = await t().app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name: 'south', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 2 * HOUR), pools: ['gpu-south'] }
  })
  expect(res.statusCode).toBe(201)
  const result = await tick(t().deps, 'leader', NOW + 1_000, LEASE_MS)
  expect(result.leader).toBe(true)
  expect((await getJobById(db, res.json().id))?.state).toBe('dispatched')
})

test('a forecast refresh that uses up its own time leaves the pass its whole budget for dispatching', async () => {
  const clock = { now: NOW }
  t().deps.executorFor = () => executor(async () => ({ ref: null }), 'agent')
  const id = await submit('after-slow-refresh')
  // Every provider takes 40 s (by the pass's clock) and fails: longer than the pass's 30 s budget.
  for (const [zone, real] of [...t().deps.providers]) {
    const slow = async (): Promise<never> => { clock.now += 40_000; throw new Error('no answer (test)') }
    t().deps.providers.set(zone, { id: real.id, signal: real.signal, forecast: slow, actuals: slow })
  }
  const result = await tick(t().deps, 'leader', NOW + 31 * 60_000, LEASE_MS, () => clock.now, limits({ budgetMs: 30_000 }))
  expect(clock.now).toBeGreaterThan(NOW + 30_000)
  expect(result).toMatchObject({ dispatched: 1, handedOver: 1 })
  expect((await getJobById(t().deps.store.db, id))?.state).toBe('dispatched')
})

import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import { expect, test } from 'vitest'
import type { Executor, RunReport } from '../../src/executors/executor.js'
import type { IntensityProvider } from '../../src/providers/provider.js'
import type { Deps } from '../../src/scheduler/deps.js'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { tick } from '../../src/scheduler/tick.js'
import { listEvents } from '../../src/store/events.js'
import { insertIntensityPoints } from '../../src/store/intensity.js'
import { getLedger } from '../../src/store/ledger.js'
import { getRun } from '../../src/store/runs.js'
import { listSegments } from '../../src/store/segments.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { runPlannedJob } from '../support/ledger.js'

const t = useTestApp()
const MINUTE = 60_000
const EPOCH = Date.UTC(1970, 0, 1)
const Y9999 = Date.UTC(9999, 11, 31, 23, 59, 59)

async function submit (body: Record<string, unknown>): Promise<string> {
  const res = await t().app.inject({ method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a), payload: body })
  expect(res.statusCode).toBe(201)
  return res.json().id
}

test('a Slurm poll reporting an impossible run is booked within the run\'s window, energy estimated, with the raw report in an event', async () => {
  let report: RunReport = { state: 'queued', startedAt: null, finishedAt: null, exitCode: null, energyKwh: null, detail: null }
  const cluster: Executor = { kind: 'slurm', leadMs: 0, dispatch: async () => ({ ref: '4242' }), cancel: async () => {}, poll: async () => report }
  t().deps.executorFor = () => cluster
  // 1 GPU on gpu-north (400 W, PUE 1), due now: dispatched and handed over at NOW.
  const id = await submit({ name: 'one-gpu', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 80 * MINUTE), pools: ['gpu-north'] })
  expect(await tick(t().deps, 'test', NOW, 60_000)).toMatchObject({ dispatched: 1, handedOver: 1 })

  report = { ...report, state: 'running', startedAt: EPOCH }
  await tick(t().deps, 'test', NOW + MINUTE, 60_000)
  expect(await getRun(t().deps.store.db, id, 1)).toMatchObject({ startedAt: NOW })
  // Polled again while running: the start is booked once, and noted once.
  await tick(t().deps, 'test', NOW + 2 * MINUTE, 60_000)

  report = { state: 'succeeded', startedAt: EPOCH, finishedAt: Y9999, exitCode: 0, energyKwh: 5000, detail: null }
  await tick(t().deps, 'test', NOW + 2 * HOUR, 60_000)
  const db = t().deps.store.db
  expect(await getRun(db, id, 1)).toMatchObject({ outcome: 'succeeded', startedAt: NOW, finishedAt: NOW + 2 * HOUR, energyKwh: null })
  expect((await listSegments(db, id)).filter(s => s.kind === 'actual')).toMatchObject([{ start: NOW, end: NOW + 2 * HOUR }])
  const notes = (await listEvents(db, id)).filter(e => e.type === 'report-implausible')
  expect(notes.map(n => n.data)).toEqual([
    { attempt: 1, reported: { startedAt: iso(EPOCH), finishedAt: null, energyKwh: null, metered: 'wall' }, problems: [{ field: 'startedAt', message: expect.stringContaining('before the job was dispatched') as string }] },
    {
      attempt: 1,
      reported: { startedAt: iso(EPOCH), finishedAt: iso(Y9999), energyKwh: 5000, metered: 'wall' },
      problems: [
        { field: 'startedAt', message: expect.stringContaining('before the job was dispatched') as string },
        { field: 'finishedAt', message: expect.stringContaining('in the future') as string },
        { field: 'energyKwh', message: expect.stringContaining('5000 kWh is not within 0..1.21 kWh') as string }
      ]
    }
  ])
  expect(notes[1]?.reason).toMatch(/^the slurm executor of gpu-north reported an impossible run/)

  // The ledger estimates the energy: 1 GPU × 400 W × PUE 1 over the 2 h booked.
  await refreshLedgers(t().deps, NOW + 3 * HOUR)
  expect(await getLedger(db, id)).toMatchObject({ energyMethod: 'estimated', energyKwh: expect.closeTo(0.8, 9) })
})

/** Counts the rows read from intensity_points through a db. */
class IntensityRows implements KyselyPlugin {
  rows = 0
  private readonly reads = new WeakSet<object>()
  transformQuery (args: PluginTransformQueryArgs): RootOperationNode {
    if (JSON.stringify(args.node).includes('"intensity_points"')) this.reads.add(args.queryId)
    return args.node
  }

  async transformResult (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.reads.has(args.queryId)) this.rows += args.result.rows.length
    return args.result
  }
}

/** The deps with intensity reads counted and every provider request's span recorded, ms. */
function watched (deps: Deps): { deps: Deps, read: IntensityRows, asked: number[] } {
  const read = new IntensityRows()
  const asked: number[] = []
  const providers = new Map([...deps.providers].map(([zone, p]): [string, IntensityProvider] => [zone, {
    id: p.id,
    signal: p.signal,
    forecast: async (z, from, to, o) => { asked.push(to - from); return await p.forecast(z, from, to, o) },
    actuals: async (z, from, to, o) => { asked.push(to - from); return await p.actuals(z, from, to, o) }
  }]))
  return { deps: { ...deps, providers, store: { ...deps.store, db: deps.store.db.withPlugin(read) } }, read, asked }
}

test('a run stored with a start in 1970 is not priced: its ledger reads no intensity, asks no provider, and backs off', async () => {
  const id = await submit({ name: 'stored-1970', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), preferredPool: 'gpu-north' })
  await runPlannedJob(t().deps, id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR, energyKwh: 1 })
  const db = t().deps.store.db
  // As a release before the checks stored a webhook's `"startedAt":"1970-01-01T00:00:00Z"`.
  await db.updateTable('job_runs').set({ started_at: new Date(EPOCH) }).where('job_id', '=', id).execute()
  // 2,000 hours of stored actuals before the run: what such a run's interval would read.
  const points = Array.from({ length: 2000 }, (_, i) => NOW - (i + 1) * HOUR)
  await insertIntensityPoints(db, points.map(start => ({ zone: 'NORTH', start, end: start + HOUR, gPerKwh: 200, kind: 'actual' as const, signal: 'average' as const, source: 'replay:test', fetchedAt: NOW })))

  const w = watched(t().deps)
  const at = NOW + 11 * HOUR
  expect(await refreshLedgers(w.deps, at)).toEqual({ computed: 0, final: 0, skipped: 1, failed: 0 })
  expect(w.read.rows).toBe(0)
  expect(w.asked).toEqual([])
  expect(await getLedger(db, id)).toBeNull()
  // Backed off like any ledger that cannot be computed: not tried again for 10 min.
  expect(await refreshLedgers(w.deps, at + 5 * MINUTE)).toMatchObject({ skipped: 0 })
  const row = await db.selectFrom('jobs').select(['ledger_tries', 'ledger_retry_at']).where('id', '=', id).executeTakeFirstOrThrow()
  expect(row).toMatchObject({ ledger_tries: 1, ledger_retry_at: new Date(at + 10 * MINUTE) })
})

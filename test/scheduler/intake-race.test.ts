import { expect, test } from 'vitest'
import { ApiError } from '../../src/errors.js'
import type { Deps } from '../../src/scheduler/deps.js'
import { intakeState } from '../../src/scheduler/intake-state.js'
import { submitJob } from '../../src/scheduler/submit.js'
import type { Store } from '../../src/store/db.js'
import { activeReservations } from '../../src/store/jobs.js'
import { listPools } from '../../src/store/pools.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { backendName } from '../support/db.js'

const t = useTestApp()

/** Another process on the same database: the same connections, but memory of its own. */
function replica (deps: Deps): Deps {
  const store: Store = { ...deps.store }
  return { ...deps, store }
}

const big = (name: string) => ({ name, command: ['train'], gpus: 8, durationMinutes: 20 * 60, deadline: iso(NOW + 24 * HOUR), pools: ['gpu-north'] })

async function tenantA (deps: Deps): Promise<string> {
  const row = await deps.store.db.selectFrom('tenants').select('id').where('name', '=', 'a').executeTakeFirstOrThrow()
  return row.id
}

async function outcome (work: Promise<unknown>): Promise<string> {
  try {
    await work
    return 'planned'
  } catch (err) {
    if (err instanceof ApiError) return String(err.status)
    throw err
  }
}

// Two replicas both remember gpu-north empty, then both submit a job needing all of it. Only the
// check in the write statement (the locked pool row must still have the version each planned on)
// stands between them and an overbooked pool.
test(`two replicas planning from memory never overbook a pool (${backendName()})`, async () => {
  const one = replica(t().deps)
  const two = replica(t().deps)
  const tenant = await tenantA(one)
  const pools = await listPools(one.store.db)
  await intakeState(one.store).load(pools, NOW)
  await intakeState(two.store).load(pools, NOW)
  const results = await Promise.all([
    outcome(submitJob(one, tenant, big('first'), null, NOW)),
    outcome(submitJob(two, tenant, big('second'), null, NOW))
  ])
  expect(results.sort()).toEqual(['409', 'planned'])
  const held = (await activeReservations(one.store.db)).filter(r => r.pool === 'gpu-north')
  expect(held.reduce((n, r) => n + r.gpus, 0)).toBe(8)
})

test('a replica whose memory missed a release plans into the freed GPUs after reading the pool again', async () => {
  const one = replica(t().deps)
  const two = replica(t().deps)
  const tenant = await tenantA(one)
  const first = await submitJob(one, tenant, big('first'), null, NOW)
  await intakeState(two.store).load(await listPools(two.store.db), NOW)
  // The first replica cancels: the second still remembers gpu-north full.
  const { cancelJob } = await import('../../src/scheduler/cancel.js')
  await cancelJob(one, tenant, first.job.id, 'test', NOW)
  const second = await submitJob(two, tenant, big('second'), null, NOW)
  expect(second.job.state).toBe('planned')
  expect(second.job.plan?.segments[0]?.start).toBe(first.job.plan?.segments[0]?.start)
})

test('submissions from one process to one pool all land, each seeing the ones before', async () => {
  const tenant = await tenantA(t().deps)
  const small = (i: number) => ({ name: `s${i}`, command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), pools: ['gpu-north'] })
  const jobs = await Promise.all(Array.from({ length: 12 }, async (_, i) => (await submitJob(t().deps, tenant, small(i), null, NOW)).job))
  expect(jobs.every(j => j.state === 'planned')).toBe(true)
  const held = (await activeReservations(t().deps.store.db)).filter(r => r.pool === 'gpu-north')
  for (let at = NOW; at < NOW + 30 * HOUR; at += 15 * 60_000) {
    expect(held.filter(r => r.start <= at && at < r.end).reduce((n, r) => n + r.gpus, 0)).toBeLessThanOrEqual(8)
  }
})

test('a forecast stored by another replica after this one remembered the zone is planned on by its next submission', async () => {
  const one = replica(t().deps)
  const tenant = await tenantA(one)
  const { insertIntensityPoints } = await import('../../src/store/intensity.js')
  const forecast = (from: number, hours: number, gPerKwh: (start: number) => number, source: string, fetchedAt: number) =>
    Array.from({ length: hours }, (_, h) => ({
      zone: 'NORTH', start: from + h * HOUR, end: from + (h + 1) * HOUR, gPerKwh: gPerKwh(from + h * HOUR),
      kind: 'forecast' as const, signal: 'average' as const, source, fetchedAt
    }))
  // Eight days known, so the zone's forecast is remembered whole (the week profile can extend it).
  await insertIntensityPoints(one.store.db, forecast(NOW - 8 * 24 * HOUR, 8 * 24 + 40, start => start === NOW + 10 * HOUR ? 50 : 500, 'first', NOW - HOUR))
  const body = (name: string) => ({ name, command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR), pools: ['gpu-north'] })
  const before = await submitJob(one, tenant, body('before'), null, NOW)
  expect(before.job.plan?.segments[0]?.start).toBe(NOW + 10 * HOUR)
  // Another replica's tick stores a new forecast: one hour, three hours from now, at 1 g/kWh.
  const greenAt = NOW + 3 * HOUR
  await insertIntensityPoints(t().deps.store.db, forecast(NOW, 40, start => start === greenAt ? 1 : 500, 'other-replica', NOW + 1))
  const after = await submitJob(one, tenant, body('after'), null, NOW)
  expect(after.job.plan?.segments[0]?.start).toBe(greenAt)
  expect(after.job.plan?.expected.source).toContain('other-replica')
})

test('submissions keep landing while other jobs of the pool are being cancelled', async () => {
  const tenant = await tenantA(t().deps)
  const { cancelJob } = await import('../../src/scheduler/cancel.js')
  const small = (name: string) => ({ name, command: ['train'], gpus: 1, durationMinutes: 30, deadline: iso(NOW + 30 * HOUR), pools: ['gpu-north'] })
  const first = await Promise.all(Array.from({ length: 16 }, async (_, i) => (await submitJob(t().deps, tenant, small(`a${i}`), null, NOW)).job))
  // Every cancellation logs a release; the submissions racing them must neither fail nor overbook.
  const [submitted] = await Promise.all([
    Promise.all(Array.from({ length: 16 }, async (_, i) => (await submitJob(t().deps, tenant, small(`b${i}`), null, NOW)).job)),
    Promise.all(first.map(async job => await cancelJob(t().deps, tenant, job.id, 'test', NOW)))
  ])
  expect(submitted.every(j => j.state === 'planned')).toBe(true)
  const held = (await activeReservations(t().deps.store.db)).filter(r => r.pool === 'gpu-north')
  for (let at = NOW; at < NOW + 30 * HOUR; at += 15 * 60_000) {
    expect(held.filter(r => r.start <= at && at < r.end).reduce((n, r) => n + r.gpus, 0)).toBeLessThanOrEqual(8)
  }
})

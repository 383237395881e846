import { expect, test } from 'vitest'
import type { IntensityProvider } from '../../src/providers/provider.js'
import { tick } from '../../src/scheduler/tick.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { expireLease } from '../support/db-time.js'

const t = useTestApp()

function down (real: IntensityProvider): IntensityProvider {
  const fail = async () => { throw new Error('provider unreachable (test)') }
  return { id: real.id, signal: real.signal, forecast: fail, actuals: fail }
}

test('a provider outage never blocks intake: the job waits as pending and the next tick plans it', async () => {
  const { deps, app } = t()
  const real = new Map(deps.providers)
  for (const [zone, p] of real) deps.providers.set(zone, down(p))
  const res = await app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name: 'waits', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), preferredPool: 'gpu-north' }
  })
  expect(res.statusCode).toBe(201)
  expect(res.json()).toMatchObject({ state: 'pending', plan: null })
  expect(deps.zoneStatus.get('NORTH')?.lastError).toContain('unreachable')

  const blind = await tick(deps, 'test', NOW + 60_000, 180_000)
  expect(blind).toMatchObject({ leader: true, planned: 0, stillPending: 1 })

  for (const [zone, p] of real) deps.providers.set(zone, p)
  const result = await tick(deps, 'test', NOW + 120_000, 180_000)
  expect(result).toMatchObject({ leader: true, planned: 1, stillPending: 0 })
  const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${res.json().id}`, headers: t().auth(t().keys.a) })).json()
  expect(job.state).toBe('planned')
  expect(job.plan.segments[0].start).toBe(iso(NOW + 8 * HOUR))
  expect(job.events.map((e: { toState: string }) => e.toState)).toEqual(['pending', 'planned'])
})

test('only one scheduler holds the lease at a time', async () => {
  const { deps } = t()
  expect((await tick(deps, 'one', NOW, 180_000)).leader).toBe(true)
  expect((await tick(deps, 'two', NOW + 60_000, 180_000)).leader).toBe(false)
  await expireLease(deps.store.db)
  expect((await tick(deps, 'two', NOW + 181_000, 180_000)).leader).toBe(true)
  expect((await tick(deps, 'one', NOW + 182_000, 180_000)).leader).toBe(false)
})

test('a pending job is never planned outside its allowed pools, and fails with a cause once its deadline cannot be met', async () => {
  const { deps, app } = t()
  const real = new Map(deps.providers)
  for (const [zone, p] of real) deps.providers.set(zone, down(p))
  const res = await app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name: 'north-only', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 6 * HOUR), zones: ['NORTH'] }
  })
  expect(res.json().state).toBe('pending')
  await app.inject({ method: 'PATCH', url: '/v1/pools/gpu-north', headers: t().auth(t().keys.operator), payload: { enabled: false } })
  for (const [zone, p] of real) deps.providers.set(zone, p)
  expect(await tick(deps, 'test', NOW + 60_000, 180_000)).toMatchObject({ planned: 0, failed: 0, stillPending: 1 })
  expect(await tick(deps, 'test', NOW + 4 * HOUR + 1, 180_000)).toMatchObject({ planned: 0, failed: 1, stillPending: 0 })
  const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${res.json().id}`, headers: t().auth(t().keys.a) })).json()
  expect(job.state).toBe('failed')
  expect(job.events.at(-1).reason).toContain('deadline-missed')
})

test('with no data at all, a pending job is still planned by its latest safe start, labelled as fallback', async () => {
  const { deps, app } = t()
  for (const [zone, p] of deps.providers) deps.providers.set(zone, down(p))
  const res = await app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name: 'blind', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 6 * HOUR), pools: ['gpu-north'] }
  })
  expect(res.json().state).toBe('pending')
  expect(await tick(deps, 'test', NOW + HOUR, 180_000)).toMatchObject({ planned: 0, stillPending: 1 })
  const latestSafe = NOW + 4 * HOUR - 10 * 60_000
  expect(await tick(deps, 'test', latestSafe, 180_000)).toMatchObject({ planned: 1, stillPending: 0 })
  const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${res.json().id}`, headers: t().auth(t().keys.a) })).json()
  expect(job.plan.segments[0].start).toBe(iso(latestSafe))
  expect(job.plan.expected).toMatchObject({ source: 'unavailable', usesFallback: true })
})

test('a job the tick plans (after an outage) keeps the baseline rule intake would have used: its tenant\'s home pool', async () => {
  const { deps, app } = t()
  const patch = await app.inject({ method: 'PATCH', url: '/v1/tenants/a', headers: t().auth(t().keys.operator), payload: { homePool: 'gpu-south' } })
  expect(patch.statusCode).toBe(200)
  const real = new Map(deps.providers)
  for (const [zone, p] of real) deps.providers.set(zone, down(p))
  const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a), payload: { name: 'waits', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR) } })
  expect(res.json()).toMatchObject({ state: 'pending', plan: null })
  for (const [zone, p] of real) deps.providers.set(zone, p)
  expect(await tick(deps, 'test', NOW + 120_000, 180_000)).toMatchObject({ planned: 1 })
  const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${res.json().id as string}`, headers: t().auth(t().keys.a) })).json()
  expect(job.plan.baseline).toMatchObject({ pool: 'gpu-south', rule: 'home' })
})

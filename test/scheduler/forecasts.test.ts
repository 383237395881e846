import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, test } from 'vitest'
import type { Series } from '../../src/core/types.js'
import { buildApp } from '../../src/http/app.js'
import { createMetrics } from '../../src/metrics.js'
import { ProviderChain } from '../../src/providers/chain.js'
import type { IntensityProvider } from '../../src/providers/provider.js'
import { forecastSeries, refreshStale, REFRESH_MS } from '../../src/scheduler/forecasts.js'
import { tick } from '../../src/scheduler/tick.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { hangingProvider, manualTimers } from '../support/hang.js'

const t = useTestApp()

/** Wraps a provider so its forecast calls are counted and answer only when released. */
function gated (real: IntensityProvider) {
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  let calls = 0
  const provider: IntensityProvider = {
    id: real.id,
    signal: real.signal,
    forecast: async (zone, from, to, signal): Promise<Series> => { calls++; await gate; return await real.forecast(zone, from, to, signal) },
    actuals: real.actuals.bind(real)
  }
  return { provider, release: () => release(), calls: () => calls }
}

test('requests arriving during a forecast fetch wait for it instead of planning on nothing', async () => {
  const { deps } = t()
  const north = gated(deps.providers.get('NORTH')!)
  deps.providers.set('NORTH', north.provider)
  const first = forecastSeries(deps, 'NORTH', NOW, NOW + 10 * HOUR, NOW)
  const second = forecastSeries(deps, 'NORTH', NOW, NOW + 10 * HOUR, NOW)
  north.release()
  const [a, b] = await Promise.all([first, second])
  expect(north.calls()).toBe(1)
  expect(a.points).toHaveLength(10)
  expect(b.points).toEqual(a.points)
})

test('the tick fetches only stale zones', async () => {
  const { deps } = t()
  const north = gated(deps.providers.get('NORTH')!)
  north.release()
  deps.providers.set('NORTH', north.provider)
  expect(await refreshStale(deps, NOW)).toBe(2)
  expect(await refreshStale(deps, NOW + REFRESH_MS - 1)).toBe(0)
  expect(await refreshStale(deps, NOW + REFRESH_MS)).toBe(2)
  expect(north.calls()).toBe(2)
})

describe('request-path budgets', () => {
  let own: FastifyInstance | undefined
  afterEach(async () => { await own?.close(); own = undefined })

  /** An app over the test's deps whose provider fetches run on timers the test fires, with metrics. */
  async function appOnTimers () {
    const { deps, clock } = t()
    const timers = manualTimers()
    deps.fetchBudgets = { timeout: timers.timeout }
    deps.metrics = createMetrics()
    own = await buildApp({ ...deps, now: () => clock.now, ready: () => true })
    return { app: own, timers }
  }

  /** NORTH (alone) as a chain of a provider that never answers, then the zone's own hourly csv. */
  function hangingThenCsv () {
    const { deps } = t()
    deps.providers.delete('SOUTH')
    const uk = hangingProvider('carbonintensity-uk')
    deps.providers.set('NORTH', new ProviderChain({ members: [{ provider: uk }, { provider: deps.providers.get('NORTH')! }] }))
    return uk
  }

  const body = { name: 'q', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 20 * HOUR), pools: ['gpu-north'] }

  test('a submission while the tick\'s fetch hangs returns at once, planned on the stored forecast', async () => {
    const { deps, auth, keys, clock } = t()
    const { app, timers } = await appOnTimers()
    await refreshStale(deps, NOW)
    const uk = hangingThenCsv()
    clock.now = NOW + REFRESH_MS
    let tickDone = false
    const ticking = tick(deps, 'test', clock.now, 180_000).finally(() => { tickDone = true })
    await uk.called(2)
    const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(keys.a), payload: body })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ state: 'planned', plan: { expected: { source: expect.stringMatching(/^csv:north\.csv@sha256:[0-9a-f]{16}$/) } } })
    expect([tickDone, uk.calls]).toEqual([false, 2])
    timers.fireAll()
    expect(await ticking).toMatchObject({ leader: true, refreshedZones: 1, errors: [] })
  })

  test('with nothing stored, a quote gives a hanging provider its 2.5 s share of 5 s and plans on the next one', async () => {
    const { auth, keys } = t()
    const { app, timers } = await appOnTimers()
    const uk = hangingThenCsv()
    const quote = app.inject({ method: 'POST', url: '/v1/quotes', headers: auth(keys.a), payload: body })
    await uk.called()
    expect(timers.asked()).toEqual([2_500])
    timers.fire()
    const res = await quote
    expect(res.statusCode).toBe(200)
    expect(res.json().plan.expected.source).toMatch(/^csv:north\.csv@sha256:/)
    const zones = (await app.inject({ method: 'GET', url: '/v1/zones', headers: auth(keys.a) })).json()
    expect(zones.find((z: { name: string }) => z.name === 'NORTH').chain[0].lastError).toMatch(/^forecast: timeout: no answer within 2500 ms/)
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
    expect(metrics).toContain('greenshift_provider_fetch_total{provider="carbonintensity-uk",zone="NORTH",kind="forecast",outcome="timeout"} 1')
  })

  test('with nothing stored, a request waits for the tick\'s fetch 5 s at most; once the chain falls over, it plans', async () => {
    const { deps, auth, keys } = t()
    const { app, timers } = await appOnTimers()
    const uk = hangingThenCsv()
    const ticking = tick(deps, 'test', NOW, 180_000)
    await uk.called(2)
    expect(timers.asked()).toEqual([10_000, 10_000])
    const quote = app.inject({ method: 'POST', url: '/v1/quotes', headers: auth(keys.a), payload: body })
    await timers.made(3)
    expect(timers.asked()[2]).toBe(5_000)
    timers.fire(2)
    expect((await quote).json()).toMatchObject({ status: 503, type: expect.stringContaining('no-intensity-data') })
    const submitted = app.inject({ method: 'POST', url: '/v1/jobs', headers: auth(keys.a), payload: body })
    await timers.made(4)
    timers.fire(3)
    expect((await submitted).json()).toMatchObject({ state: 'pending' })
    timers.fire(0)
    timers.fire(1)
    await ticking
    const again = await app.inject({ method: 'POST', url: '/v1/quotes', headers: auth(keys.a), payload: body })
    expect(again.json().plan.expected.source).toMatch(/^csv:north\.csv@sha256:/)
    expect(uk.calls).toBe(2)
  })
})

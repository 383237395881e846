import { expect, test } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import { createMetrics } from '../../src/metrics.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()

test('GET /metrics needs no key and shows provider calls, their durations and forecast ages', async () => {
  const { deps, clock } = t()
  const metrics = createMetrics()
  const app = await buildApp({ ...deps, metrics, now: () => clock.now, ready: () => true })
  try {
    const job = { name: 'x', gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR), pools: ['gpu-north'] }
    expect((await app.inject({ method: 'POST', url: '/v1/quotes', headers: t().auth(t().keys.a), payload: job })).statusCode).toBe(200)
    clock.now = NOW + 90_000
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/plain')
    expect(res.body).toContain('# TYPE greenshift_provider_fetch_total counter')
    expect(res.body).toContain('greenshift_provider_fetch_total{provider="csv",zone="NORTH",kind="forecast",outcome="ok"} 1')
    expect(res.body).toContain('greenshift_provider_fetch_seconds_count{provider="csv",zone="NORTH",kind="forecast"} 1')
    expect(res.body).toContain('greenshift_forecast_age_seconds{zone="NORTH"} 90')
    expect(res.body).not.toContain('greenshift_forecast_age_seconds{zone="SOUTH"}')
  } finally {
    await app.close()
  }
})

test('each app has its own registry: a second one starts from zero', async () => {
  const first = createMetrics()
  first.fetches.inc({ provider: 'csv', zone: 'NORTH', kind: 'forecast', outcome: 'ok' })
  const second = createMetrics()
  expect(await second.registry.getSingleMetricAsString('greenshift_provider_fetch_total')).not.toContain('NORTH')
  const res = await t().app.inject({ method: 'GET', url: '/metrics' })
  expect(res.statusCode).toBe(200)
  expect(res.body).toContain('# TYPE greenshift_forecast_age_seconds gauge')
})

import { describe, expect, test } from 'vitest'
import { ProviderChain } from '../../src/providers/chain.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()

const newPool = { name: 'h100-new', zone: 'SOUTH', gpuModel: 'H100-SXM5-80GB', gpuCount: 16, wattsPerGpu: 700, pue: 1.1, executor: { kind: 'agent' } }

async function call (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, key: string, payload?: object) {
  return await t().app.inject({ method, url, headers: t().auth(key), ...(payload === undefined ? {} : { payload }) })
}

describe('pools', () => {
  test('lists the configured pools', async () => {
    const res = await call('GET', '/v1/pools', t().keys.aRead)
    expect(res.statusCode).toBe(200)
    expect(res.json().map((p: { name: string }) => p.name)).toEqual(['gpu-north', 'gpu-south'])
  })

  test('a tenant\'s admin key may not create or change pools, nor mint, list or revoke agent tokens: 403 naming operator', async () => {
    const admin = t().keys.admin
    const refused = [
      await call('POST', '/v1/pools', admin, newPool),
      await call('PATCH', '/v1/pools/gpu-north', admin, { gpuCount: 1 }),
      await call('POST', '/v1/pools/gpu-north/tokens', admin, {}),
      await call('GET', '/v1/pools/gpu-north/tokens', admin),
      await call('DELETE', '/v1/pools/gpu-north/tokens/00000000-0000-4000-8000-000000000000', admin)
    ]
    for (const res of refused) {
      expect(res.statusCode).toBe(403)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json().detail).toContain('"operator"')
    }
    expect((await call('GET', '/v1/pools', admin)).json().find((p: { name: string }) => p.name === 'gpu-north')).toMatchObject({ gpuCount: 8 })
    expect((await call('GET', '/v1/pools/gpu-north/tokens', t().keys.operator)).json()).toEqual([])
  })

  test('the operator creates and patches a pool; others get 403', async () => {
    expect((await call('POST', '/v1/pools', t().keys.a, newPool)).statusCode).toBe(403)
    const created = await call('POST', '/v1/pools', t().keys.operator, newPool)
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ ...newPool, enabled: true })
    expect((await call('POST', '/v1/pools', t().keys.operator, newPool)).statusCode).toBe(409)
    const patched = await call('PATCH', '/v1/pools/h100-new', t().keys.operator, { gpuCount: 32, enabled: false })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ gpuCount: 32, enabled: false })
    expect((await call('PATCH', '/v1/pools/nope', t().keys.operator, { gpuCount: 1 })).statusCode).toBe(404)
    expect((await call('PATCH', '/v1/pools/h100-new', t().keys.operator, {})).statusCode).toBe(400)
  })

  test('a pool in an unknown zone, or with bad numbers, is refused naming the field', async () => {
    const zone = await call('POST', '/v1/pools', t().keys.operator, { ...newPool, zone: 'MARS' })
    expect(zone.statusCode).toBe(422)
    expect(zone.json().errors[0].field).toBe('zone')
    const pue = await call('POST', '/v1/pools', t().keys.operator, { ...newPool, pue: 0.5 })
    expect(pue.statusCode).toBe(400)
    expect(pue.json().errors[0].field).toBe('pue')
  })

  test('accounting settings: defaults 0, 0 and null; set on create, changed and cleared by PATCH, shown by GET', async () => {
    const plain = await call('POST', '/v1/pools', t().keys.operator, newPool)
    expect(plain.json()).toMatchObject({ hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null })
    const ppa = { gPerKwh: 25, instrument: 'PPA wind 2026' }
    const created = await call('POST', '/v1/pools', t().keys.operator, { ...newPool, name: 'h100-ppa', hostWattsPerGpu: 150, idleWattsPerGpu: 60, market: ppa })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ hostWattsPerGpu: 150, idleWattsPerGpu: 60, market: { ...ppa, kind: 'contract' } })
    const residual = { gPerKwh: 612.5, instrument: 'AIB residual mix DE 2025', kind: 'residual-mix' }
    const patched = await call('PATCH', '/v1/pools/h100-ppa', t().keys.operator, { idleWattsPerGpu: 45.5, market: residual })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ hostWattsPerGpu: 150, idleWattsPerGpu: 45.5, market: residual })
    const listed = (await call('GET', '/v1/pools', t().keys.aRead)).json() as Array<{ name: string }>
    expect(listed.find(p => p.name === 'h100-ppa')).toMatchObject({ hostWattsPerGpu: 150, idleWattsPerGpu: 45.5, market: residual })
    expect(listed.find(p => p.name === 'gpu-north')).toMatchObject({ hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null })
    const cleared = await call('PATCH', '/v1/pools/h100-ppa', t().keys.operator, { market: null, hostWattsPerGpu: 0 })
    expect(cleared.json()).toMatchObject({ hostWattsPerGpu: 0, idleWattsPerGpu: 45.5, market: null })
  })

  test.each([
    ['host watts below 0', { hostWattsPerGpu: -1 }, 400, 'hostWattsPerGpu'],
    ['idle watts above 2000', { idleWattsPerGpu: 2001 }, 400, 'idleWattsPerGpu'],
    ['idle watts as text', { idleWattsPerGpu: '60' }, 400, 'idleWattsPerGpu'],
    ['a negative market factor', { market: { gPerKwh: -5, instrument: 'PPA' } }, 400, 'market.gPerKwh'],
    ['a market factor above 5000', { market: { gPerKwh: 5001, instrument: 'PPA' } }, 400, 'market.gPerKwh'],
    ['a market without an instrument', { market: { gPerKwh: 25 } }, 400, 'market.instrument'],
    ['an empty instrument', { market: { gPerKwh: 25, instrument: '' } }, 400, 'market.instrument'],
    ['a blank instrument', { market: { gPerKwh: 25, instrument: '   ' } }, 422, 'market.instrument'],
    ['an instrument of 201 characters', { market: { gPerKwh: 25, instrument: 'x'.repeat(201) } }, 400, 'market.instrument'],
    ['an unknown kind', { market: { gPerKwh: 25, instrument: 'PPA', kind: 'offset' } }, 400, 'market.kind'],
    ['an unknown market key', { market: { gPerKwh: 25, instrument: 'PPA', year: 2026 } }, 400, 'market.year']
  ])('%s → %s naming %s, on POST and PATCH', async (_name, bad, status, field) => {
    for (const res of [
      await call('POST', '/v1/pools', t().keys.operator, { ...newPool, ...bad }),
      await call('PATCH', '/v1/pools/gpu-north', t().keys.operator, bad)
    ]) {
      expect(res.statusCode).toBe(status)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field)
    }
    expect((await call('GET', '/v1/pools', t().keys.aRead)).json().map((p: { name: string }) => p.name)).toEqual(['gpu-north', 'gpu-south'])
  })

  test('a webhook or Slurm pool needs its secret set on the server; embodied carbon is kept', async () => {
    const hook = { ...newPool, name: 'hooked', executor: { kind: 'webhook', url: 'https://runner.example/jobs', secretEnv: 'GS_TEST_HOOK_SECRET' }, embodiedGPerGpuHour: 12.5 }
    const missing = await call('POST', '/v1/pools', t().keys.operator, hook)
    expect(missing.statusCode).toBe(422)
    expect(missing.json().errors[0]).toMatchObject({ field: 'executor.secretEnv', message: expect.stringContaining('GS_TEST_HOOK_SECRET') })
    t().deps.env!.GS_TEST_HOOK_SECRET = 'whsec_c2VjcmV0'
    const created = await call('POST', '/v1/pools', t().keys.operator, hook)
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ executor: hook.executor, embodiedGPerGpuHour: 12.5 })
    const slurm = { kind: 'slurm', url: 'http://127.0.0.1:6820', partition: 'pool-a', user: 'root', tokenEnv: 'GS_TEST_NO_TOKEN' }
    const patched = await call('PATCH', '/v1/pools/hooked', t().keys.operator, { executor: slurm })
    expect(patched.statusCode).toBe(422)
    expect(patched.json().errors[0].field).toBe('executor.tokenEnv')
    // Tokens are for agent pools only.
    expect((await call('POST', '/v1/pools/hooked/tokens', t().keys.operator, {})).statusCode).toBe(409)
  })

  test('shrinking a pool below what its plans hold is a 409; above it is fine', async () => {
    const job = { name: 'x', command: ['train'], gpus: 6, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR), pools: ['gpu-north'] }
    expect((await call('POST', '/v1/jobs', t().keys.a, job)).statusCode).toBe(201)
    const shrink = await call('PATCH', '/v1/pools/gpu-north', t().keys.operator, { gpuCount: 4 })
    expect(shrink.statusCode).toBe(409)
    expect(shrink.json().errors[0]).toMatchObject({ field: 'gpuCount', message: 'must be at least 6' })
    expect((await call('PATCH', '/v1/pools/gpu-north', t().keys.operator, { gpuCount: 6 })).statusCode).toBe(200)
  })

  test('a disabled pool is not planned into', async () => {
    await call('PATCH', '/v1/pools/gpu-north', t().keys.operator, { enabled: false })
    const res = await call('POST', '/v1/jobs', t().keys.a, { name: 'x', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR) })
    expect(res.statusCode).toBe(201)
    expect(res.json().plan.pool).toBe('gpu-south')
  })
})

describe('zones', () => {
  test('lists zones with provider, signal, pools and forecast freshness', async () => {
    await call('POST', '/v1/quotes', t().keys.a, { name: 'x', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR) })
    t().clock.now = NOW + 60_000
    const res = await call('GET', '/v1/zones', t().keys.aRead)
    expect(res.statusCode).toBe(200)
    const north = res.json().find((z: { name: string }) => z.name === 'NORTH')
    expect(north).toMatchObject({ provider: 'csv', signal: 'average', pools: ['gpu-north'], refreshMinutes: 30 })
    expect(north.forecast).toMatchObject({
      fetchedAt: iso(NOW), ageSeconds: 60, lastError: null, answeredBy: 'csv', source: 'csv:north.csv', signal: 'average', horizonEnd: iso(NOW + 48 * HOUR)
    })
    expect(north.chain).toEqual([{ provider: 'csv', region: 'north.csv', signal: 'average', lastSuccessAt: expect.any(String), lastErrorAt: null, lastError: null }])
  })

  test('a chain zone shows its providers in order, each one\'s last error, and which one answered', async () => {
    const down = async () => { throw new Error('HTTP 500 from the test') }
    const watttime = { id: 'watttime', signal: 'marginal' as const, forecast: down, actuals: down }
    const north = t().deps.providers.get('NORTH')!
    t().deps.providers.set('NORTH', new ProviderChain({ members: [{ provider: watttime, region: 'CAISO_NORTH' }, { provider: north, region: 'north.csv' }] }))
    await call('POST', '/v1/quotes', t().keys.a, { name: 'x', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR), pools: ['gpu-north'] })
    const zone = (await call('GET', '/v1/zones', t().keys.aRead)).json().find((z: { name: string }) => z.name === 'NORTH')
    expect(zone).toMatchObject({ provider: 'watttime', signal: 'marginal' })
    expect(zone.chain.map((m: { provider: string, region: string }) => [m.provider, m.region])).toEqual([['watttime', 'CAISO_NORTH'], ['csv', 'north.csv']])
    expect(zone.chain[0]).toMatchObject({ lastError: 'forecast: HTTP 500 from the test', lastSuccessAt: null })
    expect(zone.forecast).toMatchObject({ answeredBy: 'csv', source: 'csv:north.csv', signal: 'average', lastError: null })
  })

  test('intensity: actuals before now, forecast after, in gCO2e/kWh', async () => {
    t().clock.now = NOW + 30 * 60_000
    const res = await call('GET', `/v1/zones/NORTH/intensity?from=${iso(NOW - 2 * HOUR)}&to=${iso(NOW + 10 * HOUR)}`, t().keys.aRead)
    expect(res.statusCode).toBe(200)
    const json = res.json()
    expect(json).toMatchObject({ zone: 'NORTH', signal: 'average', unit: 'gCO2e/kWh' })
    expect(json.points[0]).toEqual({ start: iso(NOW - 2 * HOUR), end: iso(NOW - HOUR), gPerKwh: 300, kind: 'actual' })
    const at = (t0: number) => json.points.find((p: { start: string }) => p.start === iso(t0))
    expect(at(NOW)).toMatchObject({ end: iso(NOW + 30 * 60_000), kind: 'actual' })
    expect(at(NOW + 30 * 60_000)).toMatchObject({ end: iso(NOW + HOUR), kind: 'forecast' })
    expect(at(NOW + 8 * HOUR)).toMatchObject({ gPerKwh: 100, kind: 'forecast' })
  })

  test('intensity: unknown zone is 404, a bad range is 400', async () => {
    expect((await call('GET', '/v1/zones/MARS/intensity', t().keys.aRead)).statusCode).toBe(404)
    expect((await call('GET', `/v1/zones/NORTH/intensity?from=${iso(NOW)}&to=${iso(NOW - HOUR)}`, t().keys.aRead)).statusCode).toBe(400)
    expect((await call('GET', `/v1/zones/NORTH/intensity?from=${iso(NOW)}&to=${iso(NOW + 15 * 24 * HOUR)}`, t().keys.aRead)).statusCode).toBe(400)
  })
})

describe('health and docs', () => {
  test('healthz and readyz need no key; /docs serves the API UI', async () => {
    expect((await t().app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' })
    expect((await t().app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' })
    const docs = await t().app.inject({ method: 'GET', url: '/docs/' })
    expect(docs.statusCode).toBe(200)
    expect(docs.headers['content-type']).toContain('text/html')
  })

  test('unknown routes are problem+json 404s', async () => {
    const res = await t().app.inject({ method: 'GET', url: '/v2/nothing' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toContain('application/problem+json')
  })
})

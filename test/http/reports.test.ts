import { beforeEach, describe, expect, test } from 'vitest'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { runPlannedJob } from '../support/ledger.js'

const t = useTestApp()
const DAY = 24 * HOUR

/** Submits a 2-GPU, 2-hour NORTH job (planned 18:00–20:00 at 100 g/kWh, baseline 10:00 at 300) and runs it as planned. */
async function ranJob (key: string, labels: Record<string, string>, energyKwh: number | null = null): Promise<string> {
  const res = await t().app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: t().auth(key),
    payload: { name: 'finetune', gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), preferredPool: 'gpu-north', labels }
  })
  expect(res.statusCode).toBe(201)
  await runPlannedJob(t().deps, res.json().id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR, energyKwh })
  return res.json().id
}

async function get (query: string, key = t().keys.a) {
  return await t().app.inject({ method: 'GET', url: `/v1/reports/emissions${query}`, headers: t().auth(key) })
}

beforeEach(async () => {
  // Tenant a: one estimated job (1.6 kWh: 160 g run, 480 g at once) and one measured at 3 kWh
  // (300 g run, 900 g at once). Tenant b: one estimated job.
  await ranJob(t().keys.a, { team: 'nlp' })
  await ranJob(t().keys.a, { team: '=HYPERLINK("x"),1' }, 3)
  await ranJob(t().keys.b, { team: 'nlp' })
  t().clock.now = NOW + 11 * HOUR
  expect(await refreshLedgers(t().deps, t().clock.now)).toMatchObject({ computed: 3, final: 3 })
})

describe('GET /v1/reports/emissions', () => {
  test('JSON by day over the last 30 days: expected, baseline, actual and avoided per signal, with units and totals', async () => {
    const res = await get('')
    expect(res.statusCode).toBe(200)
    const sums = {
      signal: 'average',
      jobs: 2,
      energyKwh: 4.6,
      expectedGrams: 320,
      expectedJobs: 2,
      baselineGrams: 1380,
      actualGrams: 460,
      avoidedGrams: 920,
      avoidedJobs: 2,
      embodiedGrams: null,
      provisionalJobs: 0,
      measuredJobs: 1,
      estimatedJobs: 1,
      sources: ['actual:csv:north.csv', 'csv:north.csv']
    }
    expect(res.json()).toEqual({
      from: iso(NOW + 11 * HOUR - 30 * DAY),
      to: iso(NOW + 11 * HOUR),
      groupBy: 'day',
      units: { emissions: 'gCO2e', energy: 'kWh' },
      rows: [{ key: '2026-11-23', ...sums }],
      totals: [sums]
    })
  })

  test('a tenant sees only its own jobs; groups by a label', async () => {
    const b = await get('?groupBy=pool', t().keys.b)
    expect(b.json().rows.map((r: { key: string, jobs: number, actualGrams: number }) => [r.key, r.jobs, r.actualGrams])).toEqual([['gpu-north', 1, 160]])
    const byTeam = await get('?groupBy=label:team&format=json', t().keys.aRead)
    expect(byTeam.statusCode).toBe(200)
    expect(byTeam.json().rows.map((r: { key: string, avoidedGrams: number }) => [r.key, r.avoidedGrams])).toEqual([['=HYPERLINK("x"),1', 600], ['nlp', 320]])
  })

  test('groupBy=tenant covers every tenant and needs the operator scope; a tenant admin sees its own tenant only', async () => {
    const refused = await get('?groupBy=tenant')
    expect(refused.statusCode).toBe(403)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    const admin = await get('?groupBy=tenant', t().keys.admin)
    expect(admin.statusCode).toBe(403)
    expect(admin.json()).toMatchObject({ detail: expect.stringContaining('"operator"'), errors: [{ field: 'groupBy' }] })
    const own = await get('?groupBy=pool', t().keys.admin)
    expect(own.json().totals).toMatchObject([{ jobs: 2 }])
    const res = await get('?groupBy=tenant', t().keys.operator)
    expect(res.statusCode).toBe(200)
    expect(res.json().rows.map((r: { key: string, jobs: number }) => [r.key, r.jobs])).toEqual([['a', 2], ['b', 1]])
    expect(res.json().totals).toMatchObject([{ signal: 'average', jobs: 3, actualGrams: 620, avoidedGrams: 1240 }])
  })

  test('CSV: a header with units in the names, RFC 4180 quoting, formulas defused, served as an attachment', async () => {
    const res = await get(`?groupBy=label:team&format=csv&from=${iso(NOW - DAY)}&to=${iso(NOW + DAY)}`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toBe('attachment; filename="emissions-by-label_team-2026-11-22-2026-11-24.csv"')
    expect(res.body.split('\r\n')).toEqual([
      'label:team,signal,jobs,energy_kwh,expected_gco2e,expected_jobs,baseline_gco2e,actual_gco2e,avoided_gco2e,avoided_jobs,embodied_gco2e,provisional_jobs,measured_jobs,estimated_jobs,sources',
      '"\'=HYPERLINK(""x""),1",average,1,3,160,1,900,300,600,1,,0,1,0,actual:csv:north.csv; csv:north.csv',
      'nlp,average,1,1.6,160,1,480,160,320,1,,0,0,1,actual:csv:north.csv; csv:north.csv',
      ''
    ])
  })

  test('an empty range is an empty report, not an error', async () => {
    const res = await get(`?from=${iso(NOW - 10 * DAY)}&to=${iso(NOW - 9 * DAY)}&format=csv`)
    expect(res.statusCode).toBe(200)
    expect(res.body.split('\r\n')).toHaveLength(2)
    expect((await get(`?from=${iso(NOW - 10 * DAY)}&to=${iso(NOW - 9 * DAY)}`)).json()).toMatchObject({ rows: [], totals: [] })
  })

  test.each([
    ['from not a date-time', 'from', '?from=yesterday'],
    ['to without an offset', 'to', '?to=2026-11-23T10:00:00'],
    ['to before from', 'to', `?from=${iso(NOW)}&to=${iso(NOW - HOUR)}`],
    ['to equal to from', 'to', `?from=${iso(NOW)}&to=${iso(NOW)}`],
    ['from after now without to', 'from', `?from=${iso(NOW + 2 * DAY)}`],
    ['more than five years', 'to', `?from=2020-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`],
    ['unknown groupBy', 'groupBy', '?groupBy=week'],
    ['label without a key', 'groupBy', '?groupBy=label:'],
    ['unknown format', 'format', '?format=xml'],
    ['unknown parameter', 'tenant', '?tenant=b']
  ])('%s → 400 naming %s', async (_name, field, query) => {
    const res = await get(query)
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field)
  })

  test('needs a key', async () => {
    expect((await t().app.inject({ method: 'GET', url: '/v1/reports/emissions' })).statusCode).toBe(401)
  })
})

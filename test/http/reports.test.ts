import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { beforeEach, describe, expect, test } from 'vitest'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { getLedger } from '../../src/store/ledger.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'
import { runPlannedJob } from '../support/ledger.js'

/** The fixture zone's csv source with its version (the file's content hash), as figures name it. */
const NORTH_CSV = `csv:north.csv@sha256:${createHash('sha256').update(readFileSync(new URL('../fixtures/api/north.csv', import.meta.url))).digest('hex').slice(0, 16)}`

const t = useTestApp()
const DAY = 24 * HOUR

/** Submits a 2-GPU, 2-hour NORTH job (planned 18:00–20:00 at 100 g/kWh, baseline 10:00 at 300) and runs it as planned. */
const ids: string[] = []

async function ranJob (key: string, labels: Record<string, string>, energyKwh: number | null = null): Promise<string> {
  const res = await t().app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: t().auth(key),
    payload: { name: 'finetune', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), preferredPool: 'gpu-north', labels }
  })
  expect(res.statusCode).toBe(201)
  await runPlannedJob(t().deps, res.json().id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR, energyKwh })
  ids.push(res.json().id)
  return res.json().id
}

async function get (query: string, key = t().keys.a) {
  return await t().app.inject({ method: 'GET', url: `/v1/reports/emissions${query}`, headers: t().auth(key) })
}

beforeEach(async () => {
  // Tenant a: one estimated job (1.6 kWh: 160 g run) and one measured at 3 kWh (300 g run).
  // Tenant b: one estimated job. All ran 18:00–20:00 on 2026-11-23.
  ids.length = 0
  await ranJob(t().keys.a, { team: 'nlp' })
  await ranJob(t().keys.a, { team: '=HYPERLINK("x"),1' }, 3)
  await ranJob(t().keys.b, { team: 'nlp' })
  t().clock.now = NOW + 11 * HOUR
  expect(await refreshLedgers(t().deps, t().clock.now)).toMatchObject({ computed: 3, final: 3 })
})

/** The stored ledgers' baseline and avoided grams of jobs `which` (indexes into `ids`), summed: what the report must show for them. */
async function counterfactual (which: number[]): Promise<{ baselineGrams: number, avoidedGrams: number }> {
  let baselineGrams = 0
  let avoidedGrams = 0
  for (const i of which) {
    const l = await getLedger(t().deps.store.db, ids[i] ?? '')
    baselineGrams += l?.baseline.grams ?? NaN
    avoidedGrams += l?.avoidedGrams ?? NaN
  }
  return { baselineGrams: Math.round(baselineGrams * 10) / 10, avoidedGrams: Math.round(avoidedGrams * 10) / 10 }
}

describe('GET /v1/reports/emissions', () => {
  test('JSON by day over the last 30 days: energy, location- and market-based, expected, baseline and avoided per labels, with units and totals', async () => {
    const res = await get('')
    expect(res.statusCode).toBe(200)
    const sums = {
      signal: 'average',
      gas: 'co2e',
      factorType: 'lifecycle',
      jobs: 2,
      energyKwh: 4.6,
      gpuEnergyKwh: 4.6,
      hostEnergyKwh: 0,
      expectedGrams: 320,
      expectedJobs: 2,
      actualGrams: 460,
      // No market factor on the pools: the location-based figure stands in (GHG Protocol Scope 2 hierarchy).
      marketGrams: 460,
      ...await counterfactual([0, 1]),
      avoidedJobs: 2,
      embodiedGrams: null,
      provisionalJobs: 0,
      measuredJobs: 1,
      estimatedJobs: 1,
      sources: [`actual:${NORTH_CSV}`, NORTH_CSV]
    }
    expect(res.json()).toEqual({
      from: iso(NOW + 11 * HOUR - 30 * DAY),
      to: iso(NOW + 11 * HOUR),
      groupBy: 'day',
      units: { emissions: 'g', energy: 'kWh' },
      jobsWithoutLedger: 0,
      provisionalJobs: 0,
      rows: [{ periodStart: '2026-11-23T00:00:00.000Z', periodEnd: iso(NOW + 11 * HOUR), group: {}, ...sums }],
      totals: [sums]
    })
  })

  test('a tenant sees only its own jobs; groups by a label', async () => {
    const b = await get('?groupBy=pool', t().keys.b)
    expect(b.json().rows.map((r: { group: object, jobs: number, actualGrams: number }) => [r.group, r.jobs, r.actualGrams])).toEqual([[{ pool: 'gpu-north' }, 1, 160]])
    const byTeam = await get('?groupBy=label:team&format=json', t().keys.aRead)
    expect(byTeam.statusCode).toBe(200)
    const { avoidedGrams: hyperlink } = await counterfactual([1])
    const { avoidedGrams: nlp } = await counterfactual([0])
    expect(byTeam.json().rows.map((r: { group: object, avoidedGrams: number }) => [r.group, r.avoidedGrams])).toEqual([
      [{ 'label:team': '=HYPERLINK("x"),1' }, hyperlink], [{ 'label:team': 'nlp' }, nlp]
    ])
  })

  test('groupBy=tenant covers every tenant and needs the operator scope; a tenant admin sees its own tenant only', async () => {
    const refused = await get('?groupBy=tenant')
    expect(refused.statusCode).toBe(403)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    const admin = await get('?groupBy=month,tenant', t().keys.admin)
    expect(admin.statusCode).toBe(403)
    expect(admin.json()).toMatchObject({ detail: expect.stringContaining('"operator"'), errors: [{ field: 'groupBy' }] })
    const own = await get('?groupBy=pool', t().keys.admin)
    expect(own.json().totals).toMatchObject([{ jobs: 2 }])
    const res = await get('?groupBy=tenant', t().keys.operator)
    expect(res.statusCode).toBe(200)
    expect(res.json().rows.map((r: { group: { tenant: string }, jobs: number }) => [r.group.tenant, r.jobs])).toEqual([['a', 2], ['b', 1]])
    expect(res.json().totals).toMatchObject([{ signal: 'average', jobs: 3, actualGrams: 620, avoidedGrams: (await counterfactual([0, 1, 2])).avoidedGrams }])
  })

  test('CSV: the filing columns in order, RFC 4180 quoting, formulas defused, served as an attachment', async () => {
    const res = await get(`?groupBy=label:team&format=csv&from=${iso(NOW - DAY)}&to=${iso(NOW + DAY)}`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toBe('attachment; filename="emissions-by-label_team-2026-11-22-2026-11-24.csv"')
    const hyperlink = await counterfactual([1])
    const nlp = await counterfactual([0])
    expect(res.body.split('\r\n')).toEqual([
      'period_start,period_end,group,signal,factor_type,gas,energy_kwh,gpu_energy_kwh,host_energy_kwh,location_g,market_g,baseline_g,avoided_g,embodied_g,jobs,provisional_jobs,sources,' +
        'expected_g,expected_jobs,avoided_jobs,measured_jobs,estimated_jobs',
      `,,"'=HYPERLINK(""x""),1",average,lifecycle,co2e,3,3,0,300,300,${hyperlink.baselineGrams},${hyperlink.avoidedGrams},,1,0,actual:${NORTH_CSV}; ${NORTH_CSV},160,1,1,1,0`,
      `,,nlp,average,lifecycle,co2e,1.6,1.6,0,160,160,${nlp.baselineGrams},${nlp.avoidedGrams},,1,0,actual:${NORTH_CSV}; ${NORTH_CSV},160,1,1,0,1`,
      ''
    ])
  })

  test('an empty range is an empty report, not an error', async () => {
    const res = await get(`?from=${iso(NOW - 10 * DAY)}&to=${iso(NOW - 9 * DAY)}&format=csv`)
    expect(res.statusCode).toBe(200)
    expect(res.body.split('\r\n')).toHaveLength(2)
    expect((await get(`?from=${iso(NOW - 10 * DAY)}&to=${iso(NOW - 9 * DAY)}`)).json()).toMatchObject({ rows: [], totals: [], jobsWithoutLedger: 0, provisionalJobs: 0 })
  })

  test.each([
    ['from not a date-time', 'from', '?from=yesterday'],
    ['to without an offset', 'to', '?to=2026-11-23T10:00:00'],
    ['a date that does not exist', 'from', '?from=2026-02-30'],
    ['to before from', 'to', `?from=${iso(NOW)}&to=${iso(NOW - HOUR)}`],
    ['to equal to from', 'to', `?from=${iso(NOW)}&to=${iso(NOW)}`],
    ['from after now without to', 'from', `?from=${iso(NOW + 2 * DAY)}`],
    ['more than five years', 'to', `?from=2020-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`],
    ['unknown groupBy', 'groupBy', '?groupBy=year'],
    ['label without a key', 'groupBy', '?groupBy=label:'],
    ['two time dimensions', 'groupBy', '?groupBy=month,week'],
    ['a dimension twice', 'groupBy', '?groupBy=pool,pool'],
    ['an empty dimension', 'groupBy', '?groupBy=month,'],
    ['unknown format', 'format', '?format=xml'],
    ['unknown parameter', 'tenant', '?tenant=b']
  ])('%s → 400 naming %s', async (_name, field, query) => {
    const res = await get(query)
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field)
  })

  test('an unknown groupBy is told the dimensions it may use, in words', async () => {
    const res = await get('?groupBy=month,year')
    expect(res.json().errors).toEqual([{
      field: 'groupBy',
      message: '"year" is not a dimension; use month, week, day, pool, zone, tenant or label:<key>, joined with commas (at most one of month, week and day), e.g. month,label:team'
    }])
  })

  test('needs a key', async () => {
    expect((await t().app.inject({ method: 'GET', url: '/v1/reports/emissions' })).statusCode).toBe(401)
  })
})

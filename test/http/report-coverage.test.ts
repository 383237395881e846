import { describe, expect, test } from 'vitest'
import { insertIntensityPoints, type IntensityRow } from '../../src/store/intensity.js'
import { updatePool } from '../../src/store/pools.js'
import { HOUR, useTestApp } from '../support/app.js'
import { ledgerOf, storeJob, storeLedger, storeRun } from '../support/report-ledger.js'

const t = useTestApp()
const at = (month: number, day: number, hour = 0) => Date.UTC(2026, month - 1, day, hour)

async function get (query: string, key: string, now = at(12, 15)) {
  t().clock.now = now
  const res = await t().app.inject({ method: 'GET', url: `/v1/reports/emissions${query}`, headers: t().auth(key) })
  expect(res.statusCode).toBe(200)
  return res
}

/** Hourly actual intensity of NORTH over [start, end) at `gPerKwh`. */
function actuals (start: number, end: number, gPerKwh: number): IntensityRow[] {
  const rows: IntensityRow[] = []
  for (let h = start; h < end; h += HOUR) rows.push({ zone: 'NORTH', start: h, end: h + HOUR, gPerKwh, kind: 'actual', signal: 'average', source: 'csv:north.csv', fetchedAt: at(11, 1) })
  return rows
}

describe('GET /v1/reports/emissions: what a report covers', () => {
  test('states the jobs whose run overlaps the range but that have no ledger yet, and the provisional ones', async () => {
    const db = t().deps.store.db
    const november = '?groupBy=month&from=2026-11-01&to=2026-12-01'
    await storeLedger(db, 'a', ledgerOf([{ start: at(11, 2), end: at(11, 2, 2), energyKwh: 2, grams: 20 }]))
    await storeLedger(db, 'a', ledgerOf([{ start: at(11, 3), end: at(11, 3, 2), energyKwh: 2, grams: 20, provisional: true, source: 'actual:csv:north.csv + forecast:csv:north.csv' }]))
    // Provisional, but its time lies before the range: neither in the rows nor counted.
    await storeLedger(db, 'a', ledgerOf([{ start: at(10, 3), end: at(10, 3, 2), energyKwh: 2, grams: 20, provisional: true }]))
    await storeRun(db, await storeJob(db, 'a'), { start: at(11, 4), end: at(11, 4, 3) })
    await storeRun(db, await storeJob(db, 'a'), { start: at(10, 30), end: null }) // started before the range and still running
    await storeRun(db, await storeJob(db, 'a'), { start: at(11, 30, 23), end: at(12, 1, 2), outcome: 'lost' })
    await storeRun(db, await storeJob(db, 'a'), { start: null, end: null }) // handed over, never started
    await storeRun(db, await storeJob(db, 'a'), { start: at(10, 20), end: at(10, 21) }) // before the range
    await storeRun(db, await storeJob(db, 'b'), { start: at(11, 4), end: at(11, 4, 3) }) // another tenant's
    const a = (await get(november, t().keys.a)).json()
    expect(a).toMatchObject({ jobsWithoutLedger: 3, provisionalJobs: 1, rows: [{ jobs: 2, provisionalJobs: 1 }], totals: [{ jobs: 2, provisionalJobs: 1 }] })
    expect(a.rows[0].sources).toEqual(['actual:csv:north.csv', 'actual:csv:north.csv + forecast:csv:north.csv', 'csv:north.csv'])
    // The operator answers for every tenant.
    expect((await get(november, t().keys.operator)).json()).toMatchObject({ jobsWithoutLedger: 4, provisionalJobs: 1 })
  })

  test('idle rows: each pool with idle watts, per period up to now, on the zone\'s actual intensity; the operator\'s only, never in the totals', async () => {
    const db = t().deps.store.db
    await updatePool(db, 'gpu-north', { idleWattsPerGpu: 50, pue: 1.5 }, new Date(at(11, 1)))
    // Actuals cover 1 November and the first 6 h of 2 November; now is 2 November 12:00.
    await insertIntensityPoints(db, [...actuals(at(11, 1), at(11, 2), 200), ...actuals(at(11, 2), at(11, 2, 6), 100)])
    const job = await storeLedger(db, 'b', ledgerOf([{ start: at(11, 1, 10), end: at(11, 1, 14), energyKwh: 2, grams: 400 }]))
    await storeRun(db, job, { start: at(11, 1, 10), end: at(11, 1, 14) })
    const query = '?groupBy=day&from=2026-11-01&to=2026-11-03'
    const now = at(11, 2, 12)

    const operator = (await get(query, t().keys.operator, now)).json()
    expect(operator.idle).toEqual([
      {
        periodStart: '2026-11-01T00:00:00.000Z',
        periodEnd: '2026-11-02T00:00:00.000Z',
        pool: 'gpu-north',
        zone: 'NORTH',
        measuredFrom: '2026-11-01T00:00:00.000Z',
        measuredTo: '2026-11-02T00:00:00.000Z',
        signal: 'average',
        gas: 'co2e',
        factorType: 'lifecycle',
        // 8 GPUs × 24 h − 2 GPUs × 4 h held = 184 GPU-h; × 50 W × PUE 1.5 = 13.8 kWh; × 200 g/kWh.
        unallocatedGpuHours: 184,
        energyKwh: 13.8,
        gPerKwh: 200,
        grams: 2760,
        source: expect.stringMatching(/^actual:csv:north\.csv@/),
        provisional: false
      },
      expect.objectContaining({
        periodStart: '2026-11-02T00:00:00.000Z',
        periodEnd: '2026-11-03T00:00:00.000Z',
        measuredTo: '2026-11-02T12:00:00.000Z',
        // 8 × 12 GPU-h × 50 W × 1.5 = 7.2 kWh, on the 6 h of actuals there are.
        unallocatedGpuHours: 96,
        energyKwh: 7.2,
        gPerKwh: 100,
        grams: 720,
        provisional: true
      })
    ])
    expect(operator.totals).toMatchObject([{ jobs: 1, energyKwh: 2, actualGrams: 400 }])
    const csv = (await get(`${query}&format=csv`, t().keys.operator, now)).body.trimEnd().split('\r\n')
    expect(csv.slice(1).map(l => l.split(',').slice(2, 10))).toEqual([
      ['', 'average', 'lifecycle', 'co2e', '2', '2', '0', '400'],
      ['idle:gpu-north', 'average', 'lifecycle', 'co2e', '13.8', '13.8', '0', '2760'],
      ['idle:gpu-north', 'average', 'lifecycle', 'co2e', '7.2', '7.2', '0', '720']
    ])

    // A tenant is never charged for, nor shown, the idle GPUs.
    const tenant = (await get(query, t().keys.b, now)).json()
    expect(tenant.idle).toBeUndefined()
    expect(tenant.totals).toMatchObject([{ jobs: 1, energyKwh: 2, actualGrams: 400 }])
    expect((await get(`${query}&format=csv`, t().keys.b, now)).body).not.toContain('idle:')
  })

  test('without a time dimension the idle row covers the whole range up to now; none for pools without idle watts or a range in the future', async () => {
    const db = t().deps.store.db
    await updatePool(db, 'gpu-north', { idleWattsPerGpu: 100 }, new Date(at(11, 1)))
    await insertIntensityPoints(db, actuals(at(11, 1), at(11, 1, 12), 300))
    const whole = (await get('?groupBy=pool&from=2026-11-01&to=2026-11-01T12:00:00Z', t().keys.operator)).json()
    expect(whole.idle).toEqual([expect.objectContaining({ periodStart: null, periodEnd: null, pool: 'gpu-north', unallocatedGpuHours: 96, energyKwh: 9.6, grams: 2880, provisional: false })])
    expect((await get('?from=2026-12-20&to=2026-12-21', t().keys.operator)).json().idle).toEqual([])
  })
})

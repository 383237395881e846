import { describe, expect, test } from 'vitest'
import { HOUR, useTestApp } from '../support/app.js'
import { ledgerOf, storeLedger } from '../support/report-ledger.js'

const t = useTestApp()
const at = (month: number, day: number, hour = 0) => Date.UTC(2026, month - 1, day, hour)

async function get (query: string, key = t().keys.a) {
  t().clock.now = at(12, 15)
  const res = await t().app.inject({ method: 'GET', url: `/v1/reports/emissions${query}`, headers: t().auth(key) })
  expect(res.statusCode).toBe(200)
  return res
}

const pick = (r: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(keys.map(k => [k, r[k]]))
const FIGURES = ['energyKwh', 'gpuEnergyKwh', 'hostEnergyKwh', 'actualGrams', 'marketGrams', 'expectedGrams', 'baselineGrams', 'avoidedGrams', 'embodiedGrams', 'jobs']

describe('GET /v1/reports/emissions: pro-rating over periods', () => {
  test('an attempt across a month boundary is split by its time in each month, the job\'s figures by the same shares; dates in from/to mean UTC midnight', async () => {
    // 2 h from 23:00 on 31 October: half in each month.
    await storeLedger(t().deps.store.db, 'a', ledgerOf(
      [{ start: at(10, 31, 23), end: at(11, 1, 1), energyKwh: 2, hostEnergyKwh: 0.4, grams: 200, marketGrams: 50 }],
      { expected: 240, baseline: 500, embodied: 20 }
    ))
    const res = (await get('?groupBy=month&from=2026-10-01&to=2026-12-01')).json()
    expect(res).toMatchObject({ from: '2026-10-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', groupBy: 'month', jobsWithoutLedger: 0, provisionalJobs: 0 })
    const half = { energyKwh: 1, gpuEnergyKwh: 0.8, hostEnergyKwh: 0.2, actualGrams: 100, marketGrams: 25, expectedGrams: 120, baselineGrams: 250, avoidedGrams: 150, embodiedGrams: 10, jobs: 1 }
    expect(res.rows).toEqual([
      expect.objectContaining({ periodStart: '2026-10-01T00:00:00.000Z', periodEnd: '2026-11-01T00:00:00.000Z', group: {}, ...half }),
      expect.objectContaining({ periodStart: '2026-11-01T00:00:00.000Z', periodEnd: '2026-12-01T00:00:00.000Z', group: {}, ...half })
    ])
    // A job spanning two months is one job in the totals.
    expect(pick(res.totals[0], FIGURES)).toEqual({ ...half, energyKwh: 2, gpuEnergyKwh: 1.6, hostEnergyKwh: 0.4, actualGrams: 200, marketGrams: 50, expectedGrams: 240, baselineGrams: 500, avoidedGrams: 300, embodiedGrams: 20 })
    // Only November asked: only November's half is reported.
    const november = (await get('?from=2026-11-01&to=2026-12-01&groupBy=month')).json()
    expect(november.rows.map((r: Record<string, unknown>) => pick(r, ['periodStart', ...FIGURES]))).toEqual([{ periodStart: '2026-11-01T00:00:00.000Z', ...half }])
  })

  test('each attempt goes to its own pool and month; the job\'s baseline, avoided and expected grams by its attempts\' time (groupBy=month,pool)', async () => {
    await storeLedger(t().deps.store.db, 'a', ledgerOf([
      { start: at(10, 31, 22), end: at(10, 31, 23), energyKwh: 1, grams: 100, outcome: 'lost' },
      { start: at(11, 1, 0), end: at(11, 1, 3), energyKwh: 3, grams: 90, pool: 'gpu-south', zone: 'SOUTH', source: 'actual:csv:south.csv' }
    ], { expected: 400, baseline: 800 }))
    const res = (await get('?groupBy=month,pool&from=2026-10-01&to=2026-12-01')).json()
    expect(res.rows.map((r: Record<string, unknown>) => pick(r, ['periodStart', 'group', 'energyKwh', 'actualGrams', 'baselineGrams', 'avoidedGrams', 'expectedGrams', 'sources']))).toEqual([
      { periodStart: '2026-10-01T00:00:00.000Z', group: { pool: 'gpu-north' }, energyKwh: 1, actualGrams: 100, baselineGrams: 200, avoidedGrams: 152.5, expectedGrams: 100, sources: ['actual:csv:north.csv', 'csv:north.csv'] },
      { periodStart: '2026-11-01T00:00:00.000Z', group: { pool: 'gpu-south' }, energyKwh: 3, actualGrams: 90, baselineGrams: 600, avoidedGrams: 457.5, expectedGrams: 300, sources: ['actual:csv:north.csv', 'actual:csv:south.csv', 'csv:north.csv'] }
    ])
    const zones = (await get('?groupBy=zone&from=2026-10-01&to=2026-12-01')).json()
    expect(zones.rows.map((r: { group: object, jobs: number }) => [r.group, r.jobs])).toEqual([[{ zone: 'NORTH' }, 1], [{ zone: 'SOUTH' }, 1]])
    expect(zones.totals).toMatchObject([{ jobs: 1, energyKwh: 4, actualGrams: 190, avoidedGrams: 610 }])
  })

  test('ISO weeks start on Monday 00:00 UTC; days on UTC midnight', async () => {
    // Sunday 29 November 22:00 to Monday 30 November 02:00.
    await storeLedger(t().deps.store.db, 'a', ledgerOf([{ start: at(11, 29, 22), end: at(11, 30, 2), energyKwh: 4, grams: 400 }]))
    const weeks = (await get('?groupBy=week&from=2026-11-16&to=2026-12-07')).json()
    expect(weeks.rows.map((r: Record<string, unknown>) => pick(r, ['periodStart', 'periodEnd', 'energyKwh', 'actualGrams']))).toEqual([
      { periodStart: '2026-11-23T00:00:00.000Z', periodEnd: '2026-11-30T00:00:00.000Z', energyKwh: 2, actualGrams: 200 },
      { periodStart: '2026-11-30T00:00:00.000Z', periodEnd: '2026-12-07T00:00:00.000Z', energyKwh: 2, actualGrams: 200 }
    ])
    // A range starting mid-week clips the first week to it.
    const clipped = (await get('?groupBy=week&from=2026-11-25T12:00:00Z&to=2026-12-01')).json()
    expect(clipped.rows.map((r: { periodStart: string, periodEnd: string }) => [r.periodStart, r.periodEnd])).toEqual([
      ['2026-11-25T12:00:00.000Z', '2026-11-30T00:00:00.000Z'], ['2026-11-30T00:00:00.000Z', '2026-12-01T00:00:00.000Z']
    ])
    const days = (await get('?groupBy=day&from=2026-11-29&to=2026-12-01')).json()
    expect(days.rows.map((r: { periodStart: string, energyKwh: number }) => [r.periodStart.slice(0, 10), r.energyKwh])).toEqual([['2026-11-29', 2], ['2026-11-30', 2]])
  })

  test('month combined with a label: each job under its label\'s value, jobs without it under null, last', async () => {
    const db = t().deps.store.db
    await storeLedger(db, 'a', ledgerOf([{ start: at(11, 2, 0), end: at(11, 2, 1), energyKwh: 1, grams: 10 }]), { team: 'nlp' })
    await storeLedger(db, 'a', ledgerOf([{ start: at(11, 30, 23), end: at(12, 1, 1), energyKwh: 2, grams: 20 }]), { team: 'nlp' })
    await storeLedger(db, 'a', ledgerOf([{ start: at(11, 3, 0), end: at(11, 3, 1), energyKwh: 4, grams: 40 }]), { team: 'vision' })
    await storeLedger(db, 'a', ledgerOf([{ start: at(11, 4, 0), end: at(11, 4, 1), energyKwh: 8, grams: 80 }]))
    const res = (await get('?groupBy=month,label:team&from=2026-11-01&to=2027-01-01')).json()
    expect(res.rows.map((r: { periodStart: string, group: object, jobs: number, actualGrams: number }) => [r.periodStart.slice(0, 7), r.group, r.jobs, r.actualGrams])).toEqual([
      ['2026-11', { 'label:team': 'nlp' }, 2, 20],
      ['2026-11', { 'label:team': 'vision' }, 1, 40],
      ['2026-11', { 'label:team': null }, 1, 80],
      ['2026-12', { 'label:team': 'nlp' }, 1, 10]
    ])
    expect(res.totals).toMatchObject([{ jobs: 4, actualGrams: 150 }])
  })

  test('figures of different signal, gas or factor type are never summed: one row and one total each', async () => {
    const db = t().deps.store.db
    const nov = { start: at(11, 2, 0), end: at(11, 2, 2), energyKwh: 2 }
    await storeLedger(db, 'a', ledgerOf([{ ...nov, grams: 100 }]))
    await storeLedger(db, 'a', ledgerOf([{ ...nov, grams: 300, signal: 'marginal', gas: 'co2', factorType: 'marginal', marketGrams: null }], { expected: 250 }))
    await storeLedger(db, 'a', ledgerOf([{ ...nov, grams: 50, factorType: 'direct' }]))
    // Run on an average zone, planned on a marginal one: its expected grams go to the marginal row, its time does not.
    await storeLedger(db, 'a', ledgerOf([{ ...nov, grams: 20 }], { expected: 70, expectedLabels: { signal: 'marginal', gas: 'co2', factorType: 'marginal' }, avoided: null }))
    const res = (await get('?groupBy=month&from=2026-11-01&to=2026-12-01')).json()
    const shown = ['signal', 'gas', 'factorType', 'jobs', 'energyKwh', 'actualGrams', 'marketGrams', 'expectedGrams', 'expectedJobs', 'avoidedJobs']
    const expected = [
      { signal: 'average', gas: 'co2e', factorType: 'direct', jobs: 1, energyKwh: 2, actualGrams: 50, marketGrams: 50, expectedGrams: 50, expectedJobs: 1, avoidedJobs: 1 },
      { signal: 'average', gas: 'co2e', factorType: 'lifecycle', jobs: 2, energyKwh: 4, actualGrams: 120, marketGrams: 120, expectedGrams: 100, expectedJobs: 1, avoidedJobs: 1 },
      { signal: 'marginal', gas: 'co2', factorType: 'marginal', jobs: 1, energyKwh: 2, actualGrams: 300, marketGrams: null, expectedGrams: 320, expectedJobs: 2, avoidedJobs: 1 }
    ]
    expect(res.rows.map((r: Record<string, unknown>) => pick(r, shown))).toEqual(expected)
    expect(res.totals.map((r: Record<string, unknown>) => pick(r, shown))).toEqual(expected)
  })

  test('CSV rows sum to the JSON totals (groupBy=month&format=csv), per labels', async () => {
    const db = t().deps.store.db
    // Thirds and sevenths, so rounding each row could drift from a total rounded apart.
    for (const [i, team] of ['nlp', 'vision', 'nlp', 'audio', 'vision'].entries()) {
      const start = at(10, 28 + i, 5 + i)
      await storeLedger(db, i === 3 ? 'b' : 'a', ledgerOf([
        { start, end: start + (7 + i) * HOUR * 7 / 3, energyKwh: 10 / 3 + i, hostEnergyKwh: 1 / 7, grams: 1000 / 7 + i, marketGrams: 100 / 3 },
        { start: start + 80 * HOUR, end: start + 91 * HOUR, energyKwh: 2 / 3, grams: 200 / 3, signal: i % 2 === 0 ? 'average' : 'marginal', gas: i % 2 === 0 ? 'co2e' : 'co2', factorType: i % 2 === 0 ? 'lifecycle' : 'marginal' }
      ], { expected: 500 / 3, baseline: 2000 / 7, embodied: 10 / 3 }), { team })
    }
    const json = (await get('?groupBy=month&from=2026-10-01&to=2027-01-01', t().keys.operator)).json()
    const csv = (await get('?groupBy=month&from=2026-10-01&to=2027-01-01&format=csv', t().keys.operator)).body
    const [header, ...lines] = csv.trimEnd().split('\r\n')
    const names = (header ?? '').split(',')
    expect(names.slice(0, 17)).toEqual(['period_start', 'period_end', 'group', 'signal', 'factor_type', 'gas', 'energy_kwh', 'gpu_energy_kwh', 'host_energy_kwh',
      'location_g', 'market_g', 'baseline_g', 'avoided_g', 'embodied_g', 'jobs', 'provisional_jobs', 'sources'])
    const rows = lines.map(l => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])))
    expect(rows.map(r => [r.period_start?.slice(0, 7), r.signal])).toEqual([['2026-10', 'average'], ['2026-11', 'average'], ['2026-11', 'marginal']])
    const columns: Array<[string, string]> = [['energy_kwh', 'energyKwh'], ['gpu_energy_kwh', 'gpuEnergyKwh'], ['host_energy_kwh', 'hostEnergyKwh'], ['location_g', 'actualGrams'],
      ['market_g', 'marketGrams'], ['baseline_g', 'baselineGrams'], ['avoided_g', 'avoidedGrams'], ['embodied_g', 'embodiedGrams']]
    expect(json.totals).toHaveLength(2)
    for (const total of json.totals) {
      const mine = rows.filter(r => r.signal === total.signal && r.gas === total.gas && r.factor_type === total.factorType)
      for (const [column, key] of columns) {
        const values = mine.map(r => r[column] ?? '').filter(v => v !== '')
        const sum = values.reduce((s, v) => s + Number(v), 0)
        const precision = key.endsWith('Kwh') ? 1_000_000 : 10
        expect([column, values.length === 0 ? null : Math.round(sum * precision) / precision]).toEqual([column, total[key]])
      }
    }
  })
})

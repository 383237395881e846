import { describe, expect, it } from 'vitest'
import type { JobLedger, RunOutcome, Signal } from '../../src/core/types.js'
import { insertJob, transitionJob } from '../../src/store/jobs.js'
import { emissionsReport, getLedger, jobsNeedingLedger, setLedger } from '../../src/store/ledger.js'
import { insertRun, updateRun } from '../../src/store/runs.js'
import { createTenant } from '../../src/store/tenants.js'
import { backendName, useTestStore } from '../support/db.js'
import { HOUR, newJob, planOn, T0 } from './fixtures.js'

const DAY = 24 * HOUR

interface LedgerOver {
  pool?: string
  zone?: string
  signal?: Signal
  baselineSignal?: Signal
  actual?: number
  baseline?: number
  provisional?: boolean
  measured?: boolean
  embodied?: number | null
  source?: string
  computedAt?: number
}

/** A ledger of 10 kWh: expected 900 g, baseline `baseline` g (1500), actual `actual` g (1000). */
function ledger (o: LedgerOver = {}): JobLedger {
  const signal = o.signal ?? 'average'
  const baselineSignal = o.baselineSignal ?? signal
  const method = o.measured === true ? 'measured' : 'estimated'
  const actual = o.actual ?? 1000
  const baseline = o.baseline ?? 1500
  const figure = { signal, source: o.source ?? 'actual:csv:north.csv', method, provisional: o.provisional ?? false } as const
  return {
    energyKwh: 10,
    energyMethod: method,
    runMs: 2 * HOUR,
    expected: { grams: 900, signal, source: 'csv:north.csv', method: 'expected', provisional: false },
    baseline: { ...figure, signal: baselineSignal, grams: baseline, pool: 'home', zone: 'HOME', start: T0 },
    actual: { ...figure, grams: actual, pool: o.pool ?? 'gpu-a', zone: o.zone ?? 'NORTH', start: T0, end: T0 + 2 * HOUR },
    avoidedGrams: baselineSignal === signal ? baseline - actual : null,
    avoidedNote: baselineSignal === signal ? null : 'signals differ',
    provisional: o.provisional ?? false,
    embodiedGrams: o.embodied ?? null,
    computedAt: o.computedAt ?? T0
  }
}

describe(`ledger store and emissions report (${backendName()})`, () => {
  const store = useTestStore()
  const db = () => store().db

  /** A job of `tenantId` whose run 1 on `pool` ran [finishedAt − 2 h, finishedAt) and closed with `outcome`. */
  async function ran (tenantId: string, o: { finishedAt?: number, outcome?: RunOutcome | null, started?: boolean, pool?: string, labels?: Record<string, string> } = {}): Promise<string> {
    const pool = o.pool ?? 'gpu-a'
    const finishedAt = o.finishedAt ?? T0 + 2 * HOUR
    const job = newJob(tenantId, { state: 'running', plan: planOn(pool, finishedAt - 2 * HOUR), labels: o.labels ?? {} })
    await insertJob(db(), job)
    await transitionJob(db(), { id: job.id, from: ['running'], to: 'succeeded', at: new Date(finishedAt), reason: 'test', attempt: 1 })
    await insertRun(db(), { jobId: job.id, attempt: 1, pool, executor: 'agent', at: finishedAt - 3 * HOUR })
    const outcome = o.outcome === undefined ? 'succeeded' : o.outcome
    await updateRun(db(), job.id, 1, {
      ...(o.started === false ? {} : { startedAt: finishedAt - 2 * HOUR }),
      ...(outcome === null ? {} : { finishedAt, outcome })
    })
    return job.id
  }

  it('stores and reads a ledger back as it was', async () => {
    const a = await createTenant(db(), 'a')
    const id = await ran(a.id)
    expect(await getLedger(db(), id)).toBeNull()
    const l = { ...ledger({ embodied: 12.5 }), avoidedGrams: 499.99999999999994 }
    await setLedger(db(), id, l)
    expect(await getLedger(db(), id)).toEqual(l)
  })

  it('hands back jobs whose closed, started run has no ledger or a provisional one; missing first', async () => {
    const a = await createTenant(db(), 'a')
    const fresh = await ran(a.id, { finishedAt: T0 + 2 * HOUR })
    const provisional = await ran(a.id, { finishedAt: T0 + 3 * HOUR })
    await setLedger(db(), provisional, ledger({ provisional: true, computedAt: T0 + 4 * HOUR }))
    const final = await ran(a.id)
    await setLedger(db(), final, ledger())
    const failed = await ran(a.id, { outcome: 'failed', finishedAt: T0 + 5 * HOUR })
    await ran(a.id, { outcome: 'lost' })
    await ran(a.id, { outcome: null })
    await ran(a.id, { outcome: 'cancelled', started: false })
    const work = await jobsNeedingLedger(db(), 10)
    expect(work.map(w => w.job.id)).toEqual([failed, fresh, provisional])
    expect(work[2]).toMatchObject({ run: { attempt: 1, pool: 'gpu-a', startedAt: T0 + HOUR, finishedAt: T0 + 3 * HOUR }, ledger: { provisional: true } })
    // Provisional ledgers wait for their recheck time and stop after retention; missing ones never wait.
    expect((await jobsNeedingLedger(db(), 10, { computedBefore: T0 + 4 * HOUR })).map(w => w.job.id)).toEqual([failed, fresh])
    expect((await jobsNeedingLedger(db(), 10, { finishedAfter: T0 + 4 * HOUR })).map(w => w.job.id)).toEqual([failed, fresh])
    expect(await jobsNeedingLedger(db(), 1)).toHaveLength(1)
  })

  it('groups by UTC day of the run\'s finish, sums per row, and counts provisional, measured and estimated jobs', async () => {
    const a = await createTenant(db(), 'a')
    const day1 = Date.UTC(2026, 10, 23, 23, 30)
    const day2 = Date.UTC(2026, 10, 24, 0, 30)
    await setLedger(db(), await ran(a.id, { finishedAt: day1 }), ledger({ actual: 1000, baseline: 1500, measured: true, embodied: 40 }))
    await setLedger(db(), await ran(a.id, { finishedAt: day1 - HOUR }), ledger({ actual: 500, baseline: 600, provisional: true, source: 'actual:csv:north.csv + forecast:csv:north.csv' }))
    await setLedger(db(), await ran(a.id, { finishedAt: day2 }), ledger({ actual: 200, baseline: 100 }))
    await ran(a.id, { finishedAt: day2 }) // no ledger yet: not reported
    const rows = await emissionsReport(db(), { tenantId: a.id, from: T0 - DAY, to: T0 + 2 * DAY, groupBy: 'day' })
    expect(rows).toEqual([
      {
        key: '2026-11-23',
        signal: 'average',
        jobs: 2,
        energyKwh: 20,
        expectedGrams: 1800,
        expectedJobs: 2,
        baselineGrams: 2100,
        actualGrams: 1500,
        avoidedGrams: 600,
        avoidedJobs: 2,
        embodiedGrams: 40,
        provisionalJobs: 1,
        measuredJobs: 1,
        estimatedJobs: 1,
        sources: ['actual:csv:north.csv', 'actual:csv:north.csv + forecast:csv:north.csv', 'csv:north.csv']
      },
      expect.objectContaining({ key: '2026-11-24', jobs: 1, actualGrams: 200, avoidedGrams: -100, embodiedGrams: null, provisionalJobs: 0 })
    ])
  })

  it('counts runs that finished in [from, to) only', async () => {
    const a = await createTenant(db(), 'a')
    for (const at of [T0, T0 + HOUR, T0 + 2 * HOUR]) await setLedger(db(), await ran(a.id, { finishedAt: at }), ledger())
    const rows = await emissionsReport(db(), { tenantId: a.id, from: T0, to: T0 + 2 * HOUR, groupBy: 'pool' })
    expect(rows.map(r => [r.key, r.jobs])).toEqual([['gpu-a', 2]])
  })

  it('splits rows by signal and never sums a baseline of another signal into avoided', async () => {
    const a = await createTenant(db(), 'a')
    await setLedger(db(), await ran(a.id), ledger({ zone: 'NORTH', actual: 1000, baseline: 1500 }))
    await setLedger(db(), await ran(a.id), ledger({ zone: 'NORTH', signal: 'marginal', actual: 3000, baseline: 4000 }))
    await setLedger(db(), await ran(a.id), ledger({ zone: 'NORTH', signal: 'marginal', baselineSignal: 'average', actual: 2000, baseline: 900 }))
    await setLedger(db(), await ran(a.id, { pool: 'gpu-b' }), ledger({ zone: 'SOUTH', pool: 'gpu-b', actual: 10, baseline: 20 }))
    const rows = await emissionsReport(db(), { tenantId: a.id, from: T0, to: T0 + DAY, groupBy: 'zone' })
    expect(rows.map(r => [r.key, r.signal, r.jobs, r.actualGrams, r.baselineGrams, r.avoidedGrams, r.avoidedJobs])).toEqual([
      ['NORTH', 'average', 1, 1000, 1500, 500, 1],
      ['NORTH', 'marginal', 2, 5000, 4000, 1000, 1],
      ['SOUTH', 'average', 1, 10, 20, 10, 1]
    ])
  })

  it('shows a tenant only its own jobs; with no tenant, groups every tenant by name', async () => {
    const a = await createTenant(db(), 'acme')
    const b = await createTenant(db(), 'beta')
    await setLedger(db(), await ran(a.id), ledger({ actual: 100 }))
    await setLedger(db(), await ran(b.id), ledger({ actual: 7 }))
    await setLedger(db(), await ran(b.id), ledger({ actual: 8 }))
    const range = { from: T0, to: T0 + DAY }
    expect((await emissionsReport(db(), { ...range, tenantId: b.id, groupBy: 'pool' })).map(r => [r.key, r.jobs, r.actualGrams])).toEqual([['gpu-a', 2, 15]])
    expect((await emissionsReport(db(), { ...range, tenantId: null, groupBy: 'tenant' })).map(r => [r.key, r.jobs, r.actualGrams])).toEqual([['acme', 1, 100], ['beta', 2, 15]])
  })

  it('groups by a label\'s value; jobs without the label fall under null, last', async () => {
    const a = await createTenant(db(), 'a')
    await setLedger(db(), await ran(a.id, { labels: { team: 'nlp' } }), ledger({ actual: 1 }))
    await setLedger(db(), await ran(a.id, { labels: { team: 'vision', 'cost/centre': 'x' } }), ledger({ actual: 2 }))
    await setLedger(db(), await ran(a.id, { labels: { team: 'nlp' } }), ledger({ actual: 4 }))
    await setLedger(db(), await ran(a.id), ledger({ actual: 8 }))
    const range = { from: T0, to: T0 + DAY, tenantId: a.id }
    expect((await emissionsReport(db(), { ...range, groupBy: 'label:team' })).map(r => [r.key, r.actualGrams])).toEqual([['nlp', 5], ['vision', 2], [null, 8]])
    expect((await emissionsReport(db(), { ...range, groupBy: 'label:cost/centre' })).map(r => [r.key, r.actualGrams])).toEqual([['x', 2], [null, 13]])
    // A label key that looks like SQL is only ever a parameter.
    expect((await emissionsReport(db(), { ...range, groupBy: "label:x' or 1=1 --" })).map(r => [r.key, r.jobs])).toEqual([[null, 4]])
  })
})

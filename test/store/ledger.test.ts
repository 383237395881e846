import { describe, expect, it } from 'vitest'
import { upgrade } from '../../src/core/ledger-upgrade.js'
import type { JobLedger, RunOutcome, Signal } from '../../src/core/types.js'
import { insertJob, transitionJob } from '../../src/store/jobs.js'
import { getLedger, jobsNeedingLedger, setLedger } from '../../src/store/ledger.js'
import { insertRun, updateRun } from '../../src/store/runs.js'
import { createTenant } from '../../src/store/tenants.js'
import { backendName, useTestStore } from '../support/db.js'
import { HOUR, newJob, planOn, T0 } from './fixtures.js'

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

/** A ledger of 10 kWh: expected 900 g, baseline `baseline` g (1500), actual `actual` g (1000), in the shape an earlier release stored. */
function ledger (o: LedgerOver = {}): JobLedger {
  return upgrade(earlierLedger(o) as unknown as JobLedger)
}

function earlierLedger (o: LedgerOver) {
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
  } as const
}

describe(`ledger store (${backendName()})`, () => {
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
})

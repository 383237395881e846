import { describe, expect, it } from 'vitest'
import type { JobLedger } from '../../src/core/types.js'
import { insertJob } from '../../src/store/jobs.js'
import { setLedger } from '../../src/store/ledger.js'
import { allocations, countJobsWithoutLedger, reportJobs } from '../../src/store/report.js'
import { insertRun, updateRun } from '../../src/store/runs.js'
import { createTenant } from '../../src/store/tenants.js'
import { backendName, useTestStore } from '../support/db.js'
import { HOUR, newJob, T0 } from './fixtures.js'

/** A ledger as a release before issue 12 stored it: no attempts, gases or factor types; actual over [start, start + 2 h). */
function oldLedger (start: number, grams: number): JobLedger {
  const figure = { signal: 'average', source: 'actual:csv:north.csv', method: 'estimated', provisional: false }
  return {
    energyKwh: 10,
    energyMethod: 'estimated',
    runMs: 2 * HOUR,
    expected: { ...figure, grams: 900, source: 'csv:north.csv', method: 'expected' },
    baseline: { ...figure, grams: 1500, pool: 'home', zone: 'HOME', start },
    actual: { ...figure, grams, pool: 'gpu-a', zone: 'NORTH', start, end: start + 2 * HOUR },
    avoidedGrams: 1500 - grams,
    avoidedNote: null,
    provisional: false,
    embodiedGrams: null,
    computedAt: start + 3 * HOUR
  } as unknown as JobLedger
}

describe(`emissions report reads (${backendName()})`, () => {
  const store = useTestStore()
  const db = () => store().db

  async function job (tenantId: string, ledger: JobLedger | null, labels: Record<string, string> = {}): Promise<string> {
    const j = newJob(tenantId, { state: 'succeeded', labels, gpus: 3 })
    await insertJob(db(), j)
    if (ledger !== null) await setLedger(db(), j.id, ledger)
    return j.id
  }

  it('reads ledgers stored by earlier releases in the current shape, whose time may overlap [from, to), of one tenant or all', async () => {
    const acme = await createTenant(db(), 'acme')
    const beta = await createTenant(db(), 'beta')
    const inside = await job(acme.id, oldLedger(T0, 1000), { team: 'nlp' })
    const straddles = await job(beta.id, oldLedger(T0 - HOUR, 7))
    await job(acme.id, oldLedger(T0 - 3 * HOUR, 5)) // ends before from
    await job(acme.id, oldLedger(T0 + 10 * HOUR, 5)) // starts at to
    await job(acme.id, null)
    const range = { from: T0, to: T0 + 10 * HOUR }
    const all = await reportJobs(db(), { ...range, tenantId: null })
    expect(all.map(j => [j.id, j.tenant]).sort()).toEqual([[inside, 'acme'], [straddles, 'beta']].sort())
    const mine = await reportJobs(db(), { ...range, tenantId: acme.id })
    expect(mine).toMatchObject([{ id: inside, tenant: 'acme', labels: { team: 'nlp' } }])
    expect(mine[0]?.ledger.attempts).toEqual([expect.objectContaining({ start: T0, end: T0 + 2 * HOUR, energyKwh: 10, grams: 1000, gas: 'co2e', factorType: 'lifecycle', marketGrams: 1000 })])
  })

  it('counts jobs with a started run overlapping [from, to) and no ledger; hands back the GPUs every run held, a running one until now', async () => {
    const a = await createTenant(db(), 'a')
    const run = async (id: string, attempt: number, start: number, end: number | null) => {
      await insertRun(db(), { jobId: id, attempt, pool: 'gpu-a', executor: 'agent', at: start })
      await updateRun(db(), id, attempt, { startedAt: start, ...(end === null ? {} : { finishedAt: end, outcome: 'lost' as const }) })
    }
    const twice = await job(a.id, null)
    await run(twice, 1, T0, T0 + HOUR)
    await run(twice, 2, T0 + 2 * HOUR, null)
    await run(await job(a.id, oldLedger(T0, 1)), 1, T0, T0 + 2 * HOUR)
    await run(await job(a.id, null), 1, T0 - 2 * HOUR, T0)
    const range = { tenantId: a.id, from: T0, to: T0 + 10 * HOUR }
    expect(await countJobsWithoutLedger(db(), range)).toBe(1)
    const held = await allocations(db(), range.from, range.to, T0 + 5 * HOUR)
    expect(held.map(h => [h.start - T0, h.end - T0, h.gpus]).sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!)).toEqual([
      [0, HOUR, 3], [0, 2 * HOUR, 3], [2 * HOUR, 5 * HOUR, 3]
    ])
  })
})

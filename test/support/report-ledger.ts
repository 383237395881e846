import { randomUUID } from 'node:crypto'
import type { FactorType, Gas, Instant, JobLedger, LedgerAttempt, RunOutcome, Signal } from '../../src/core/types.js'
import { insertJob } from '../../src/store/jobs.js'
import { setLedger } from '../../src/store/ledger.js'
import { insertRun, updateRun } from '../../src/store/runs.js'
import type { Db } from '../../src/store/schema.js'
import { findTenantByName } from '../../src/store/tenants.js'
import { newJob } from '../store/fixtures.js'

/** One attempt of a stored test ledger: its interval and figures; GPU energy is all of it unless `hostEnergyKwh` says. */
export interface AttemptSpec {
  start: Instant
  end: Instant
  energyKwh: number
  grams: number
  hostEnergyKwh?: number
  marketGrams?: number | null
  pool?: string
  zone?: string
  outcome?: RunOutcome
  signal?: Signal
  gas?: Gas
  factorType?: FactorType
  source?: string
  provisional?: boolean
}

/** Job-level figures of a stored test ledger; baseline and expected on the first attempt's labels unless told. */
export interface LedgerSpec {
  expected?: number
  baseline?: number
  embodied?: number | null
  provisional?: boolean
  /** Null: the baseline's labels differ, no avoided figure. */
  avoided?: number | null
  expectedLabels?: { signal: Signal, gas: Gas, factorType: FactorType }
}

/** A ledger in the current shape over `attempts`, its totals summed from them. */
export function ledgerOf (attempts: readonly AttemptSpec[], o: LedgerSpec = {}): JobLedger {
  const full: LedgerAttempt[] = attempts.map((a, i) => ({
    attempt: i + 1,
    pool: a.pool ?? 'gpu-north',
    zone: a.zone ?? 'NORTH',
    outcome: a.outcome ?? 'succeeded',
    start: a.start,
    end: a.end,
    energyKwh: a.energyKwh,
    gpuEnergyKwh: a.energyKwh - (a.hostEnergyKwh ?? 0),
    hostEnergyKwh: a.hostEnergyKwh ?? 0,
    energyMethod: 'estimated',
    grams: a.grams,
    signal: a.signal ?? 'average',
    gas: a.gas ?? 'co2e',
    factorType: a.factorType ?? 'lifecycle',
    marketGrams: a.marketGrams === undefined ? a.grams : a.marketGrams,
    source: a.source ?? 'actual:csv:north.csv',
    provisional: a.provisional ?? false
  }))
  const first = full[0]
  const last = full[full.length - 1]
  if (first === undefined || last === undefined) throw new Error('a ledger needs an attempt')
  const sum = (f: (a: LedgerAttempt) => number) => full.reduce((s, a) => s + f(a), 0)
  const labels = { signal: first.signal, gas: first.gas, factorType: first.factorType }
  const provisional = o.provisional ?? full.some(a => a.provisional)
  const actualGrams = sum(a => a.grams)
  const baseline = o.baseline ?? actualGrams * 2
  const figure = { ...labels, source: first.source, method: 'estimated' as const, provisional }
  return {
    energyKwh: sum(a => a.energyKwh),
    gpuEnergyKwh: sum(a => a.gpuEnergyKwh),
    hostEnergyKwh: sum(a => a.hostEnergyKwh),
    energyMethod: 'estimated',
    runMs: sum(a => a.end - a.start),
    attempts: full,
    expected: { ...labels, ...o.expectedLabels, grams: o.expected ?? actualGrams, source: 'csv:north.csv', method: 'expected', provisional: false },
    baseline: { ...figure, grams: baseline, pool: first.pool, zone: first.zone, start: first.start, end: first.start + sum(a => a.end - a.start), rule: 'config-order', energyKwh: sum(a => a.energyKwh) },
    actual: { ...figure, grams: actualGrams, pool: last.pool, zone: last.zone, start: first.start, end: last.end },
    avoidedGrams: o.avoided === undefined ? baseline - actualGrams : o.avoided,
    avoidedNote: o.avoided === null ? 'labels differ' : null,
    marketBased: null,
    sci: { grams: actualGrams, unit: 'job', units: 1 },
    provisional,
    verified: !provisional,
    embodiedGrams: o.embodied ?? null,
    computedAt: last.end
  }
}

/** Stores a finished job of tenant `tenant` (by name) with `labels` and this ledger; returns its id. */
export async function storeLedger (db: Db, tenant: string, ledger: JobLedger, labels: Record<string, string> = {}): Promise<string> {
  const id = await storeJob(db, tenant, labels)
  await setLedger(db, id, ledger)
  return id
}

/** Stores a job of tenant `tenant` with `gpus` GPUs (2) and no ledger; returns its id. */
export async function storeJob (db: Db, tenant: string, labels: Record<string, string> = {}, gpus = 2): Promise<string> {
  const t = await findTenantByName(db, tenant)
  if (t === undefined) throw new Error(`no tenant ${tenant}`)
  const job = newJob(t.id, { id: randomUUID(), state: 'succeeded', labels, gpus })
  await insertJob(db, job)
  return job.id
}

/** Stores attempt `attempt` of a job on `pool`: started at `start` (or not when null), finished at `end` (or running when null). */
export async function storeRun (db: Db, jobId: string, run: { attempt?: number, pool?: string, start: Instant | null, end: Instant | null, outcome?: RunOutcome }): Promise<void> {
  const attempt = run.attempt ?? 1
  await insertRun(db, { jobId, attempt, pool: run.pool ?? 'gpu-north', executor: 'agent', at: run.start ?? 0 })
  if (run.start === null && run.end === null) return
  await updateRun(db, jobId, attempt, {
    ...(run.start === null ? {} : { startedAt: run.start }),
    ...(run.end === null ? {} : { finishedAt: run.end, outcome: run.outcome ?? 'succeeded' })
  })
}

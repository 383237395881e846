import type { Instant, JobLedger } from '../core/types.js'
import { recordFinalLedger } from '../metrics-record.js'
import { insertHistory } from '../store/energy-history.js'
import { appendEvent } from '../store/events.js'
import { upgrade } from '../core/ledger-upgrade.js'
import { expiredProvisionalLedgers, setLedgerMetered, type LedgerWork } from '../store/ledger.js'
import type { Db } from '../store/schema.js'
import type { Deps } from './deps.js'
import { historyRunOf } from './history-record.js'

/** Stores the ledger; the first one and the first final one are also events in the job's history. */
export async function record (deps: Deps, w: LedgerWork, ledger: JobLedger, now: Instant): Promise<void> {
  const first = w.ledger === null
  const becameFinal = !ledger.provisional && (w.ledger?.provisional ?? true)
  const event = first || becameFinal ? { type: 'ledger', reason: summary(ledger), data: eventData(ledger) } : undefined
  // A restated ledger recomputed as actuals arrive is still the restated one.
  const kept = w.ledger?.restated === undefined ? ledger : { ...ledger, restated: w.ledger.restated }
  // A work job's measured run joins its tenant's energy history with its ledger (once: one row per job).
  const run = historyRunOf(w, ledger, now)
  await storeLedger(deps, w.job.id, kept, now, run === undefined ? undefined : async trx => { await insertHistory(trx, [run]) }, event)
}

/**
 * Stores a job's ledger after `before` (in the same transaction) and with the event that says why
 * it changed. The write that first makes it final counts it in the metrics (`setLedgerMetered`).
 */
export async function storeLedger (
  deps: Deps, jobId: string, ledger: JobLedger, now: Instant, before?: (trx: Db) => Promise<void>, event?: { type: string, reason: string, data: unknown }
): Promise<void> {
  const first = await deps.store.db.transaction().execute(async trx => {
    await before?.(trx)
    const first = await setLedgerMetered(trx, jobId, ledger)
    if (event !== undefined) await appendEvent(trx, { jobId, at: new Date(now), ...event })
    return first
  })
  if (first && deps.metrics !== undefined) {
    // Metrics never stop the scheduler: a ledger they cannot read is logged and left uncounted.
    try {
      recordFinalLedger(deps.metrics, upgrade(ledger))
    } catch (err) {
      deps.log.error({ err, job: jobId }, 'a final ledger could not be counted in the metrics')
    }
  }
}

const g = (grams: number | null) => grams === null ? 'n/a' : `${(Math.round(grams * 10) / 10).toFixed(1)} g`

export function summary (l: JobLedger): string {
  return `${l.provisional ? 'provisional' : l.verified === false ? 'final (unverified)' : 'final'} ledger: actual ${g(l.actual.grams)} (${l.actual.source}), ` +
    `baseline ${g(l.baseline.grams)} (${l.baseline.source}), avoided ${g(l.avoidedGrams)}, ` +
    `${(Math.round(l.energyKwh * 1000) / 1000).toString()} kWh ${l.energyMethod}, ${l.actual.signal} signal`
}

export function eventData (l: JobLedger) {
  return {
    provisional: l.provisional,
    verified: l.verified,
    energyKwh: l.energyKwh,
    energyMethod: l.energyMethod,
    attempts: l.attempts?.length ?? 1,
    actualGrams: l.actual.grams,
    baselineGrams: l.baseline.grams,
    avoidedGrams: l.avoidedGrams,
    marketGrams: l.marketBased?.grams ?? null,
    signal: l.actual.signal,
    gas: l.actual.gas,
    factorType: l.actual.factorType
  }
}

/**
 * Provisional ledgers of runs that finished before `retainedFrom`: their actual intensity is past
 * retention and will never arrive, so they become final as they stand, `verified: false`, each with
 * a `ledger` event. A final ledger never changes again by itself. Returns how many were settled.
 */
export async function settleExpired (deps: Deps, retainedFrom: Instant, limit: number, now: Instant): Promise<number> {
  const expired = await expiredProvisionalLedgers(deps.store.db, retainedFrom, limit)
  for (const { jobId, ledger } of expired) {
    const settled: JobLedger = { ...ledger, provisional: false, verified: false, computedAt: now }
    await storeLedger(deps, jobId, settled, now, undefined, {
      type: 'ledger',
      reason: `settled unverified: actual intensity did not arrive within retention, the figures rest partly on forecasts; ${summary(settled)}`,
      data: eventData(settled)
    })
  }
  return expired.length
}

import type { Instant, JobLedger, Pool } from '../core/types.js'
import { ApiError, notFound } from '../errors.js'
import { adoptPoolModels, ledgerWork } from '../store/ledger.js'
import { listPools } from '../store/pools.js'
import type { Deps } from './deps.js'
import { ledgerFor } from './ledger.js'
import { eventData, storeLedger, summary } from './ledger-record.js'

/**
 * An operator's correction of a job's ledger: computed again from the stored runs and intensity,
 * with the pools as they are now (a corrected power model, say), and stored with the reason. The
 * job's runs and plan adopt those pools' models, so a provisional ledger recomputed later keeps the
 * correction (and its `restated` mark). The `ledger-restated` event keeps the old and the new
 * figures. 404 for an unknown job, 409 when it has no closed run to price or the figures cannot be
 * computed.
 */
export async function restateLedger (deps: Deps, jobId: string, reason: string, now: Instant): Promise<JobLedger> {
  const work = await ledgerWork(deps.store.db, jobId)
  if (work === undefined) throw notFound(`job ${jobId}`)
  if (work === null) throw new ApiError(409, 'no-ledger', `job ${jobId} has no finished run to book a ledger for`)
  const pools = new Map<string, Pool>((await listPools(deps.store.db)).map(p => [p.name, p]))
  const outcome = await ledgerFor(deps, work, pools, { answers: new Map(), short: new Set() }, now, true)
  if (!outcome.ok) throw new ApiError(409, 'ledger-not-computable', outcome.detail)
  const restated: JobLedger = { ...outcome.ledger, restated: { at: now, reason } }
  await storeLedger(deps, jobId, restated, now, async trx => { await adoptPoolModels(trx, jobId, [...pools.values()]) }, {
    type: 'ledger-restated',
    reason: `restated by an operator (${reason}): ${work.ledger === null ? 'no ledger before' : `was ${summary(work.ledger)}`}; now ${summary(restated)}`,
    data: { reason, old: work.ledger === null ? null : eventData(work.ledger), new: eventData(restated) }
  })
  return restated
}

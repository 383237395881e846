import { prunePoolReleases } from '../store/capacity.js'
import type { Instant } from '../core/types.js'
import { tryAcquireLease } from '../store/leases.js'
import { collectRuns, type CollectResult } from './collect.js'
import type { Deps } from './deps.js'
import { dispatchDue, type DispatchResult } from './dispatch.js'
import { refreshStale } from './forecasts.js'
import { LEASE_NAME, leaseGuard, LeaseLostError } from './lease.js'
import { refreshLedgers } from './ledger.js'
import { limitsFor, startPass, type TickLimits } from './pass.js'
import { planPending } from './plan-pending.js'
import { replanWaiting } from './replan.js'
import { isolated } from './step.js'

export { LEASE_NAME } from './lease.js'

export interface TickResult extends DispatchResult, CollectResult {
  leader: boolean
  refreshedZones: number
  replanned: number
  planned: number
  failed: number
  stillPending: number
  ledgers: number
  /** Parts of the pass that failed, each "what: why"; the rest of the pass went on without them. */
  errors: string[]
}

const idle = (leader: boolean): TickResult => ({
  leader, refreshedZones: 0, replanned: 0, planned: 0, failed: 0, stillPending: 0, dispatched: 0, handedOver: 0, refused: 0, unplanned: 0,
  polled: 0, finished: 0, cancelled: 0, lost: 0, expired: 0, ledgers: 0, errors: []
})

/**
 * One scheduler pass at `now`, by the single leader only (the lease row, on the database's clock;
 * works on PGlite and PostgreSQL): refresh stale forecasts; re-plan waiting jobs when a forecast
 * changed; plan the jobs still `pending` jointly; dispatch jobs whose window opened (or whose latest
 * safe start came); bring in executors' results, pass cancels on and release runs of lost agents;
 * and settle the ledgers of finished jobs as actual intensity arrives.
 *
 * The pass has a time budget and its executor calls a bound and a timeout (`limits`, by default
 * from the lease: see `limitsFor`), counted after the forecast refresh; `clock` measures it. Each step, and each job or run
 * within one, fails alone: its error is logged and listed in `errors`, and the pass goes on. Only
 * a lost lease (the pass stops, `leader: false`) or an unreachable database (thrown) end it early.
 */
export async function tick (deps: Deps, holder: string, now: Instant, leaseMs: number, clock: () => Instant = () => now, limits: TickLimits = limitsFor(leaseMs)): Promise<TickResult> {
  if (!await tryAcquireLease(deps.store.db, LEASE_NAME, holder, leaseMs)) return idle(false)
  const guard = leaseGuard(deps, holder, leaseMs)
  const result = idle(true)
  const { errors } = result
  try {
    result.refreshedZones = await isolated(deps, errors, 'refresh forecasts', async () => await refreshStale(deps, now), 0)
    await guard.renew()
    // The refresh has its own bound (the chains' budgets); the pass's budget counts from here, so
    // a zone whose providers all hang never leaves the pass without time to dispatch.
    const pass = startPass(limits, guard, clock)
    if (result.refreshedZones > 0) result.replanned = await isolated(deps, errors, 're-plan', async () => await replanWaiting(deps, now, pass), 0)
    Object.assign(result, await isolated<Partial<TickResult>>(deps, errors, 'plan', async () => await planPending(deps, now, errors), {}))
    await guard.renew()
    Object.assign(result, await isolated<Partial<TickResult>>(deps, errors, 'dispatch', async () => await dispatchDue(deps, now, pass, errors), {}))
    Object.assign(result, await isolated<Partial<TickResult>>(deps, errors, 'collect', async () => await collectRuns(deps, now, pass, errors), {}))
    result.ledgers = await isolated(deps, errors, 'ledgers', async () => (await refreshLedgers(deps, now, { spent: pass.spent })).computed, 0)
    await isolated(deps, errors, 'prune releases', async () => await prunePoolReleases(deps.store.db), 0)
  } catch (err) {
    if (!(err instanceof LeaseLostError)) throw err
    deps.log.warn({ holder }, 'lost the scheduler lease during a pass; leaving the rest to the new leader')
    result.leader = false
  }
  return result
}

import { labelsOf, sameLabels } from '../core/ledger-price.js'
import { MINUTE_MS, type Instant } from '../core/types.js'
import { recordFetch } from '../metrics.js'
import { asChain, DEFAULT_CHAIN_BUDGET, type ChainAnswer, type FetchKind } from '../providers/chain.js'
import { providerLabels } from '../providers/provider.js'
import { isChain } from '../providers/zone-spec.js'
import type { Deps } from './deps.js'

/** Refresh interval of zones that do not set `refreshMinutes` (the shorthand): 30 min, inside the issue's 15–60 min band. */
export const REFRESH_MS = 30 * MINUTE_MS

/** How long intensity fetches may take, ms, and how their deadlines are made. */
export interface FetchBudgets {
  /** A chain fetch by the tick (forecast or actuals): all members and retries included. */
  tickMs: number
  /** One chain member at most, all its tries included (see `ChainBudget`). */
  memberMs: number
  /**
   * The longest a request (quote, submission, zone read) waits for any provider: only when nothing
   * is stored for the zone yet, or for actuals the store does not hold. A request's own fetch gets
   * this as its chain budget; a fetch already under way (the tick's may take `tickMs`) is waited
   * for this long at most.
   */
  requestMs: number
  /** A signal that aborts after `ms`. Tests inject one they fire themselves. */
  timeout: (ms: number) => AbortSignal
}

/**
 * The tick's 30 s and a member's 10 s are `DEFAULT_CHAIN_BUDGET`'s (a hang costs a chain 10 s per
 * hanging member). A request waits 5 s at most, then answers with what it has (a quote 503, a
 * submission `pending`): in a chain of two, 2.5 s go to the first provider and the rest to the
 * second (a local replay answers in milliseconds).
 */
export const FETCH_BUDGETS: FetchBudgets = {
  tickMs: DEFAULT_CHAIN_BUDGET.chainMs,
  memberMs: DEFAULT_CHAIN_BUDGET.memberMs,
  requestMs: 5_000,
  timeout: ms => AbortSignal.timeout(ms)
}

/** The deps' budgets over `FETCH_BUDGETS`. */
export function budgetsOf (deps: Pick<Deps, 'fetchBudgets'>): FetchBudgets {
  return { ...FETCH_BUDGETS, ...deps.fetchBudgets }
}

/** How often a zone's forecast (and its recent actuals) is fetched again, ms. */
export function refreshMsOf (deps: Deps, zone: string): number {
  const spec = deps.config.zones[zone]
  return spec !== undefined && isChain(spec) ? spec.refreshMinutes * MINUTE_MS : REFRESH_MS
}

/**
 * Fetches a zone's series over [from, to) through its provider (as a chain: see `ProviderChain`)
 * within `chainMs` (each member within its share, see `ChainBudget`), logging and counting every
 * provider call with provider, zone, points, duration and outcome (`timeout` for a hang). An
 * answer of another signal than the zone's primary one is logged as a warning: the series carries
 * it, and so will any plan made on it. Never throws; undefined when the zone has no provider.
 */
export async function observedFetch (deps: Deps, zone: string, kind: FetchKind, from: Instant, to: Instant, chainMs: number): Promise<ChainAnswer | undefined> {
  const provider = deps.providers.get(zone)
  if (provider === undefined) return undefined
  const { memberMs, timeout } = budgetsOf(deps)
  const answer = await asChain(provider).fetch(kind, zone, from, to, { budget: { chainMs, memberMs, timeout } })
  for (const a of answer.attempts) {
    if (deps.metrics !== undefined) recordFetch(deps.metrics, zone, a)
    const fields = { provider: a.provider, region: a.region, zone, kind, points: a.points, durationMs: a.durationMs, outcome: a.outcome }
    if (a.outcome === 'ok') deps.log.info(fields, 'provider fetch')
    else deps.log.warn({ ...fields, err: a.error }, 'provider fetch')
  }
  const series = answer.series
  if (series !== undefined && series.signal !== provider.signal) {
    deps.log.warn({ zone, kind, signal: series.signal, primarySignal: provider.signal, source: series.source }, 'fallback provider answered with another signal')
  } else if (series !== undefined && !sameLabels(labelsOf(series), providerLabels(provider))) {
    deps.log.warn({ zone, kind, ...labelsOf(series), source: series.source }, 'fallback provider answered with another gas or factor type')
  }
  return answer
}

/** Why a chain fetch gave nothing usable, naming each provider's failure. */
export function failureOf (zone: string, answer: ChainAnswer | undefined): string {
  if (answer === undefined) return `no provider configured for zone ${zone}`
  return `every provider for zone ${zone} failed: ${answer.attempts.map(a => `${a.provider}: ${a.error ?? a.outcome}`).join('; ')}`
}

import type { FactorType, Gas, Instant, Series, Signal } from '../core/types.js'
import { untilAborted } from './abort.js'
import { checkedSeries, covered, gapOf } from './answer-check.js'
import { ProviderError, type IntensityProvider } from './provider.js'

/** Which series a fetch asks for. */
export type FetchKind = 'forecast' | 'actuals'

/**
 * `gap`: the provider answered, but too little to plan or account on (empty or short); `timeout`:
 * it did not answer within its share of the chain's budget (or failed on its own timeouts).
 */
export type FetchOutcome = 'ok' | 'gap' | 'error' | 'timeout'

/** One provider of a chain and the region it was configured with (shown by `GET /v1/zones`). */
export interface ChainMember {
  provider: IntensityProvider
  region?: string | undefined
}

/** One call to one provider, for logs and metrics. */
export interface FetchAttempt {
  provider: string
  region: string | undefined
  kind: FetchKind
  outcome: FetchOutcome
  points: number
  durationMs: number
  /** Why the answer was not used (error message or gap description); absent when `ok`. */
  error?: string
}

/** A chain fetch: the series used (undefined when every provider failed), when it came, and every call made for it. */
export interface ChainAnswer {
  series: Series | undefined
  /** When the series used was answered, by the chain's clock (an API answer's version). */
  at?: Instant
  attempts: FetchAttempt[]
}

/** What the chain last saw from one provider. Instants are epoch ms from the chain's clock. */
export interface MemberStatus {
  provider: string
  region: string | null
  signal: Signal
  lastSuccessAt: Instant | null
  lastErrorAt: Instant | null
  lastError: string | null
}

/** Who answered a chain's last fetch of one kind. */
export interface Answered {
  provider: string
  source: string
  signal: Signal
  at: Instant
}

/** Per-provider outcomes and, per kind, who answered last. */
export interface ChainStatus {
  members: MemberStatus[]
  answered: { forecast: Answered | null, actuals: Answered | null }
}

/** Options of `ProviderChain`. */
export interface ProviderChainOptions {
  /** Tried in this order; at least one. */
  members: readonly ChainMember[]
  /** Wall clock for statuses and durations; default `Date.now`. */
  now?: () => Instant
}

/**
 * The time one chain fetch may take. Each member in turn gets `memberMs` or an equal share of what
 * is left of `chainMs` for itself and the members after it, whichever is less (time a member leaves
 * unused passes on to the next), and is cut off when its share runs out, all its tries included.
 */
export interface ChainBudget {
  /** The whole chain, every member and retry included, ms. */
  chainMs: number
  /** One member at most, all its tries included, ms. */
  memberMs: number
  /** A signal that aborts after `ms`; default `AbortSignal.timeout`. Tests pass one they fire themselves. */
  timeout?: ((ms: number) => AbortSignal) | undefined
}

/**
 * 30 s a chain, 10 s a member. Every provider we use answers a 48 h forecast in well under a second,
 * so 10 s holds a slow try (5 s, see `DEFAULT_HTTP`) and a retry, while a hanging provider costs the
 * chain at most 10 s before the next one is asked. A chain of three shares 30 s as 3 × 10 s.
 */
export const DEFAULT_CHAIN_BUDGET: ChainBudget = { chainMs: 30_000, memberMs: 10_000 }

/** Options of one chain fetch. */
export interface ChainFetchOptions {
  /** The caller's own deadline or cancellation, on top of the budget. */
  signal?: AbortSignal | undefined
  /** Default `DEFAULT_CHAIN_BUDGET`. */
  budget?: ChainBudget | undefined
}

/** What one fetch asks for. */
interface Query { kind: FetchKind, zone: string, from: Instant, to: Instant }

/**
 * An ordered fallback chain of providers for one zone. Each fetch asks the providers in order, each
 * within its own share of the fetch's budget (see `ChainBudget`), and returns the first full answer;
 * an error, a timeout, bad data (see `checkedSeries`), an empty answer or a short one (see `gapOf`)
 * moves on to the next. When nobody answers fully, the longest partial answer is used. The series
 * returned is the answering provider's own, so its `signal` and `source` say who answered: the
 * chain's `signal` is the first provider's, and a fall to a provider of another signal shows in the
 * series, never silently.
 */
export class ProviderChain implements IntensityProvider {
  /** The first provider's id: the zone's primary source. */
  readonly id: string
  /** The first provider's signal; a series from another member may carry another. */
  readonly signal: Signal
  /** The first provider's gas and factor type; like `signal`, each series states its own. */
  readonly gas: Gas | undefined
  readonly factorType: FactorType | undefined
  readonly members: readonly ChainMember[]
  private readonly now: () => Instant
  private readonly states: MemberStatus[]
  private readonly answered: ChainStatus['answered'] = { forecast: null, actuals: null }

  constructor (options: ProviderChainOptions) {
    const first = options.members[0]
    if (first === undefined) throw new Error('a provider chain needs at least one provider')
    this.members = [...options.members]
    this.id = first.provider.id
    this.signal = first.provider.signal
    this.gas = first.provider.gas
    this.factorType = first.provider.factorType
    this.now = options.now ?? Date.now
    this.states = this.members.map(m => ({
      provider: m.provider.id, region: m.region ?? null, signal: m.provider.signal, lastSuccessAt: null, lastErrorAt: null, lastError: null
    }))
  }

  async forecast (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    return this.required(zone, await this.fetch('forecast', zone, from, to, { signal }))
  }

  async actuals (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    return this.required(zone, await this.fetch('actuals', zone, from, to, { signal }))
  }

  /**
   * Asks the providers in order (see the class comment), each within its share of the budget (see
   * `ChainBudget`). Never throws: failures, timeouts included, are in `attempts`.
   */
  async fetch (kind: FetchKind, zone: string, from: Instant, to: Instant, options: ChainFetchOptions = {}): Promise<ChainAnswer> {
    const budget = options.budget ?? DEFAULT_CHAIN_BUDGET
    const attempts: FetchAttempt[] = []
    let best: { series: Series, covered: number, provider: string, at: Instant } | undefined
    for (const [i, member] of this.members.entries()) {
      const spent = attempts.reduce((ms, a) => ms + a.durationMs, 0)
      const shareMs = Math.floor(Math.min(budget.memberMs, (budget.chainMs - spent) / (this.members.length - i)))
      // The caller's deadline or the chain's has passed: the next provider would be cut off at once.
      if (options.signal?.aborted === true || shareMs <= 0) break
      const { attempt, series, at } = await this.ask(member, { kind, zone, from, to }, shareMs, budget, options.signal)
      attempts.push(attempt)
      this.record(i, attempt, at)
      if (series !== undefined && attempt.outcome === 'ok') return this.answer(kind, { series, provider: attempt.provider, at }, attempts)
      const length = series === undefined ? 0 : covered(series, from, to)
      if (series !== undefined && series.points.length > 0 && (best === undefined || length > best.covered)) {
        best = { series, covered: length, provider: attempt.provider, at }
      }
    }
    return this.answer(kind, best, attempts)
  }

  /** A copy of what the chain last saw from each provider, and who answered last. */
  status (): ChainStatus {
    return { members: this.states.map(s => ({ ...s })), answered: { ...this.answered } }
  }

  /**
   * One member's answer, checked (`checkedSeries`) and judged (`gapOf`), within `shareMs`: its
   * signal aborts then, and the chain stops waiting even for a provider that ignores the signal.
   */
  private async ask (member: ChainMember, q: Query, shareMs: number, budget: ChainBudget, callerSignal: AbortSignal | undefined):
    Promise<{ attempt: FetchAttempt, series?: Series, at: Instant }> {
    const { provider, region } = member
    const timer = budget.timeout?.(shareMs) ?? AbortSignal.timeout(shareMs)
    const signal = callerSignal === undefined ? timer : AbortSignal.any([callerSignal, timer])
    const started = this.now()
    const base = { provider: provider.id, region, kind: q.kind }
    try {
      const call = q.kind === 'forecast' ? provider.forecast(q.zone, q.from, q.to, signal) : provider.actuals(q.zone, q.from, q.to, signal)
      const series = checkedSeries(await untilAborted(call, signal))
      const at = this.now()
      const gap = gapOf(q.kind, series, q.from, q.to)
      const attempt: FetchAttempt = { ...base, outcome: gap === undefined ? 'ok' : 'gap', points: series.points.length, durationMs: at - started }
      return { attempt: gap === undefined ? attempt : { ...attempt, error: gap }, series, at }
    } catch (err) {
      const at = this.now()
      const timedOut = signal.aborted || (err instanceof ProviderError && err.code === 'timeout')
      const error = timer.aborted
        ? `timeout: no answer within ${shareMs} ms, this provider's share of the chain's ${budget.chainMs} ms`
        : `${timedOut ? 'timeout: ' : ''}${err instanceof Error ? err.message : String(err)}`
      return { attempt: { ...base, outcome: timedOut ? 'timeout' : 'error', points: 0, durationMs: at - started, error }, at }
    }
  }

  private record (i: number, attempt: FetchAttempt, at: Instant): void {
    const state = this.states[i]
    if (state === undefined) return
    if (attempt.outcome === 'ok') state.lastSuccessAt = at
    if (attempt.error !== undefined) {
      state.lastErrorAt = at
      state.lastError = `${attempt.kind}: ${attempt.error}`
    }
  }

  private answer (kind: FetchKind, used: { series: Series, provider: string, at: Instant } | undefined, attempts: FetchAttempt[]): ChainAnswer {
    if (used === undefined) return { series: undefined, attempts }
    const { series, provider, at } = used
    this.answered[kind] = { provider, source: series.source, signal: series.signal, at }
    return { series, at, attempts }
  }

  private required (zone: string, answer: ChainAnswer): Series {
    if (answer.series !== undefined) return answer.series
    const why = answer.attempts.map(a => `${a.provider}: ${a.error ?? a.outcome}`).join('; ')
    throw new ProviderError(this.id, zone, 'unavailable', `every provider for zone ${zone} failed (${why})`)
  }
}

const wrapped = new WeakMap<IntensityProvider, ProviderChain>()

/**
 * The provider as a chain: itself when it is one, else a one-provider chain (made once per provider
 * object), so that every zone's fetches are judged, timed and recorded the same way.
 */
export function asChain (provider: IntensityProvider): ProviderChain {
  if (provider instanceof ProviderChain) return provider
  let chain = wrapped.get(provider)
  if (chain === undefined) {
    chain = new ProviderChain({ members: [{ provider }] })
    wrapped.set(provider, chain)
  }
  return chain
}

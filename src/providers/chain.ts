import { HOUR_MS, type Instant, type Series, type Signal } from '../core/types.js'
import { ProviderError, type IntensityProvider } from './provider.js'

/** Which series a fetch asks for. */
export type FetchKind = 'forecast' | 'actuals'

/** `gap`: the provider answered, but too little to plan or account on (empty or short). */
export type FetchOutcome = 'ok' | 'gap' | 'error'

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

/** A chain fetch: the series used (undefined when every provider failed) and every call made for it. */
export interface ChainAnswer {
  series: Series | undefined
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
 * A forecast ending less than 2 h after `from` leaves the planner nothing to shift a job into: it
 * counts as a gap, and the next provider is asked.
 */
export const MIN_FORECAST_AHEAD_MS = 2 * HOUR_MS
/** Actuals covering less than 90 % of the range asked for are a gap (a few hours' publishing delay in 48 h is fine). */
export const MIN_ACTUALS_COVERAGE = 0.9

/** How long the points of `series` cover inside [from, to), ms. */
function covered (series: Series, from: Instant, to: Instant): number {
  return series.points.reduce((sum, p) => sum + Math.max(0, Math.min(p.end, to) - Math.max(p.start, from)), 0)
}

/** Why an answer is too short to use, or undefined when it is enough. */
function gapOf (kind: FetchKind, series: Series, from: Instant, to: Instant): string | undefined {
  if (series.points.length === 0) return `no ${kind === 'forecast' ? 'forecast' : 'actual'} points in [${iso(from)}, ${iso(to)})`
  if (kind === 'forecast') {
    const end = series.points.reduce((e, p) => Math.max(e, p.end), -Infinity)
    const needed = Math.min(to, from + MIN_FORECAST_AHEAD_MS)
    return end >= needed ? undefined : `forecast ends at ${iso(end)}, before ${iso(needed)}`
  }
  const share = covered(series, from, to) / Math.max(1, to - from)
  return share >= MIN_ACTUALS_COVERAGE ? undefined : `actuals cover ${Math.round(share * 100)} % of [${iso(from)}, ${iso(to)})`
}

const iso = (t: Instant) => Number.isFinite(t) ? new Date(t).toISOString() : String(t)

/**
 * An ordered fallback chain of providers for one zone. Each fetch asks the providers in order and
 * returns the first full answer; an error, an empty answer or a short one (see `gapOf`) moves on to
 * the next. When nobody answers fully, the longest partial answer is used. The series returned is
 * the answering provider's own, so its `signal` and `source` say who answered: the chain's `signal`
 * is the first provider's, and a fall to a provider of another signal shows in the series, never
 * silently.
 */
export class ProviderChain implements IntensityProvider {
  /** The first provider's id: the zone's primary source. */
  readonly id: string
  /** The first provider's signal; a series from another member may carry another. */
  readonly signal: Signal
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
    this.now = options.now ?? Date.now
    this.states = this.members.map(m => ({
      provider: m.provider.id, region: m.region ?? null, signal: m.provider.signal, lastSuccessAt: null, lastErrorAt: null, lastError: null
    }))
  }

  async forecast (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    return this.required(zone, await this.fetch('forecast', zone, from, to, signal))
  }

  async actuals (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    return this.required(zone, await this.fetch('actuals', zone, from, to, signal))
  }

  /** Asks the providers in order (see the class comment). Never throws: failures are in `attempts`. */
  async fetch (kind: FetchKind, zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<ChainAnswer> {
    const attempts: FetchAttempt[] = []
    let best: { series: Series, covered: number, provider: string, at: Instant } | undefined
    for (const [i, member] of this.members.entries()) {
      const { attempt, series, at } = await this.ask(member, kind, zone, from, to, signal)
      attempts.push(attempt)
      this.record(i, attempt, at)
      if (series !== undefined && attempt.outcome === 'ok') return this.answer(kind, { series, provider: attempt.provider, at }, attempts)
      const length = series === undefined ? 0 : covered(series, from, to)
      if (series !== undefined && series.points.length > 0 && (best === undefined || length > best.covered)) {
        best = { series, covered: length, provider: attempt.provider, at }
      }
      // The caller's deadline has passed: the next provider would be cut off at once too.
      if (signal?.aborted === true) break
    }
    return this.answer(kind, best, attempts)
  }

  /** A copy of what the chain last saw from each provider, and who answered last. */
  status (): ChainStatus {
    return { members: this.states.map(s => ({ ...s })), answered: { ...this.answered } }
  }

  private async ask (member: ChainMember, kind: FetchKind, zone: string, from: Instant, to: Instant, signal: AbortSignal | undefined):
    Promise<{ attempt: FetchAttempt, series?: Series, at: Instant }> {
    const { provider, region } = member
    const started = this.now()
    const base = { provider: provider.id, region, kind }
    try {
      const series = kind === 'forecast' ? await provider.forecast(zone, from, to, signal) : await provider.actuals(zone, from, to, signal)
      const at = this.now()
      const gap = gapOf(kind, series, from, to)
      const attempt: FetchAttempt = { ...base, outcome: gap === undefined ? 'ok' : 'gap', points: series.points.length, durationMs: at - started }
      return { attempt: gap === undefined ? attempt : { ...attempt, error: gap }, series, at }
    } catch (err) {
      const at = this.now()
      const error = err instanceof Error ? err.message : String(err)
      return { attempt: { ...base, outcome: 'error', points: 0, durationMs: at - started, error }, at }
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
    return { series, attempts }
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

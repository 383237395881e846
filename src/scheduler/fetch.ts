import { MINUTE_MS, type Instant } from '../core/types.js'
import { recordFetch } from '../metrics.js'
import { asChain, type ChainAnswer, type FetchKind } from '../providers/chain.js'
import { isChain } from '../providers/zone-spec.js'
import type { Deps } from './deps.js'

/** Refresh interval of zones that do not set `refreshMinutes` (the shorthand): 30 min, inside the issue's 15–60 min band. */
export const REFRESH_MS = 30 * MINUTE_MS

/** How often a zone's forecast (and its recent actuals) is fetched again, ms. */
export function refreshMsOf (deps: Deps, zone: string): number {
  const spec = deps.config.zones[zone]
  return spec !== undefined && isChain(spec) ? spec.refreshMinutes * MINUTE_MS : REFRESH_MS
}

/**
 * Fetches a zone's series over [from, to) through its provider (as a chain: see `ProviderChain`),
 * logging and counting every provider call with provider, zone, points, duration and outcome. An
 * answer of another signal than the zone's primary one is logged as a warning: the series carries
 * it, and so will any plan made on it. Never throws; undefined when the zone has no provider.
 */
export async function observedFetch (deps: Deps, zone: string, kind: FetchKind, from: Instant, to: Instant, timeoutMs: number): Promise<ChainAnswer | undefined> {
  const provider = deps.providers.get(zone)
  if (provider === undefined) return undefined
  const answer = await asChain(provider).fetch(kind, zone, from, to, AbortSignal.timeout(timeoutMs))
  for (const a of answer.attempts) {
    if (deps.metrics !== undefined) recordFetch(deps.metrics, zone, a)
    const fields = { provider: a.provider, region: a.region, zone, kind, points: a.points, durationMs: a.durationMs, outcome: a.outcome }
    if (a.outcome === 'ok') deps.log.info(fields, 'provider fetch')
    else deps.log.warn({ ...fields, err: a.error }, 'provider fetch')
  }
  const series = answer.series
  if (series !== undefined && series.signal !== provider.signal) {
    deps.log.warn({ zone, kind, signal: series.signal, primarySignal: provider.signal, source: series.source }, 'fallback provider answered with another signal')
  }
  return answer
}

/** Why a chain fetch gave nothing usable, naming each provider's failure. */
export function failureOf (zone: string, answer: ChainAnswer | undefined): string {
  if (answer === undefined) return `no provider configured for zone ${zone}`
  return `every provider for zone ${zone} failed: ${answer.attempts.map(a => `${a.provider}: ${a.error ?? a.outcome}`).join('; ')}`
}

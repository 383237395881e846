import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { FetchAttempt } from './providers/chain.js'

/**
 * greenshift's Prometheus metrics, in a registry of their own (never prom-client's global one), so
 * that several apps in one process, as in tests, never share or collide.
 */
export interface Metrics {
  readonly registry: Registry
  /** Provider calls by provider, zone, kind ('forecast' | 'actuals') and outcome ('ok' | 'gap' | 'error' | 'timeout'). */
  readonly fetches: Counter<'provider' | 'zone' | 'kind' | 'outcome'>
  /** Provider call durations, seconds, retries included. */
  readonly fetchSeconds: Histogram<'provider' | 'zone' | 'kind'>
  /** Age of each zone's newest stored forecast, seconds; set when scraped. */
  readonly forecastAge: Gauge<'zone'>
}

/**
 * One call lasts from ~50 ms (a cached UK answer) to its share of a chain's budget (at most
 * 10 s, retries included), so the buckets span 50 ms to 60 s.
 */
const FETCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** A fresh registry with greenshift's metrics registered in it. */
export function createMetrics (): Metrics {
  const registry = new Registry()
  return {
    registry,
    fetches: new Counter({
      name: 'greenshift_provider_fetch_total',
      help: 'Intensity provider calls, by provider, zone, kind (forecast, actuals) and outcome (ok, gap, error, timeout)',
      labelNames: ['provider', 'zone', 'kind', 'outcome'] as const,
      registers: [registry]
    }),
    fetchSeconds: new Histogram({
      name: 'greenshift_provider_fetch_seconds',
      help: 'Duration of intensity provider calls, seconds, retries included',
      labelNames: ['provider', 'zone', 'kind'] as const,
      buckets: FETCH_BUCKETS,
      registers: [registry]
    }),
    forecastAge: new Gauge({
      name: 'greenshift_forecast_age_seconds',
      help: 'Age of the newest stored forecast of each zone, seconds',
      labelNames: ['zone'] as const,
      registers: [registry]
    })
  }
}

/** Counts and times one provider call. */
export function recordFetch (metrics: Metrics, zone: string, attempt: FetchAttempt): void {
  const labels = { provider: attempt.provider, zone, kind: attempt.kind }
  metrics.fetches.inc({ ...labels, outcome: attempt.outcome })
  metrics.fetchSeconds.observe(labels, attempt.durationMs / 1000)
}

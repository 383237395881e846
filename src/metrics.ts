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
  /** Jobs by state and pool (pool "" before one is planned); counted in the store when scraped. */
  readonly jobs: Gauge<'state' | 'pool'>
  /** Ledger grams of each job once its ledger is final, by kind, the pool and zone it ran in, and each figure's signal and gas. */
  readonly emissions: Counter<'kind' | 'pool' | 'zone' | 'signal' | 'gas'>
  /** Facility energy (IT × PUE) of each attempt once its job's ledger is final, kWh. */
  readonly energy: Counter<'pool' | 'method'>
  /** Each zone's stored intensity now (actual) and for the next hour (forecast), gCO2e/kWh; set when scraped. */
  readonly intensity: Gauge<'zone' | 'kind'>
  /** Duration of each scheduler pass, seconds. */
  readonly tickSeconds: Histogram<string>
  /** Executor calls that failed, by pool, call (dispatch, poll, cancel, reschedule) and kind (timeout, refused, error). */
  readonly executorErrors: Counter<'pool' | 'call' | 'kind'>
  /** From the start of a job's planned window to its dispatch, seconds (0 when handed over ahead, as to Slurm). */
  readonly dispatchLag: Histogram<'pool'>
}

/**
 * One call lasts from ~50 ms (a cached UK answer) to its share of a chain's budget (at most
 * 10 s, retries included), so the buckets span 50 ms to 60 s.
 */
const FETCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** A pass takes milliseconds when idle and up to half its lease (30 s by default) when busy. */
const TICK_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** Jobs are dispatched on the first pass after their window opens (5 s apart by default), later when the scheduler was down. */
const LAG_BUCKETS = [1, 5, 10, 30, 60, 300, 900, 3600]

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
    }),
    jobs: new Gauge({
      name: 'greenshift_jobs',
      help: 'Jobs by state and pool (pool "" before one is planned)',
      labelNames: ['state', 'pool'] as const,
      registers: [registry]
    }),
    emissions: new Counter({
      name: 'greenshift_emissions_grams_total',
      help: 'Grams of final ledgers by kind (expected, baseline, actual, avoided; excess when a job emitted more than its baseline), the pool and zone the job ran in, and the figure\'s signal (average, marginal) and gas (co2e, co2)',
      labelNames: ['kind', 'pool', 'zone', 'signal', 'gas'] as const,
      registers: [registry]
    }),
    energy: new Counter({
      name: 'greenshift_energy_kwh_total',
      help: 'Facility energy (IT x PUE) of attempts in final ledgers, kWh, by pool and method (measured, estimated)',
      labelNames: ['pool', 'method'] as const,
      registers: [registry]
    }),
    intensity: new Gauge({
      name: 'greenshift_intensity_g_per_kwh',
      help: 'Stored grid intensity of each zone, gCO2e/kWh: kind actual is the newest actual up to now, forecast the forecast for one hour ahead',
      labelNames: ['zone', 'kind'] as const,
      registers: [registry]
    }),
    tickSeconds: new Histogram({
      name: 'greenshift_tick_seconds',
      help: 'Duration of scheduler passes, seconds',
      buckets: TICK_BUCKETS,
      registers: [registry]
    }),
    executorErrors: new Counter({
      name: 'greenshift_executor_errors_total',
      help: 'Failed executor calls by pool, call (dispatch, poll, cancel, reschedule) and kind (timeout, refused, error)',
      labelNames: ['pool', 'call', 'kind'] as const,
      registers: [registry]
    }),
    dispatchLag: new Histogram({
      name: 'greenshift_dispatch_lag_seconds',
      help: 'From the start of a job\'s planned window to its dispatch, seconds (0 when handed over ahead of it)',
      labelNames: ['pool'] as const,
      buckets: LAG_BUCKETS,
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

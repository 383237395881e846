import { labelsOf } from './core/ledger-price.js'
import { HOUR_MS, JOB_STATES, type Instant } from './core/types.js'
import type { Metrics } from './metrics.js'
import { EMISSION_KINDS, EXECUTOR_CALLS, FAILURE_KINDS } from './metrics-record.js'
import { providerLabels } from './providers/provider.js'
import type { Deps } from './scheduler/deps.js'
import { jobCounts } from './store/job-counts.js'
import { latestPoints, newestFetch } from './store/intensity.js'
import { listPools } from './store/pools.js'

/** The newest actual counts as "now" for two hours: providers publish actuals up to an hour late. */
const ACTUAL_STALE_MS = 2 * HOUR_MS

/**
 * Sets the gauges read from the store at scrape time (forecast ages, jobs by state and pool, each
 * zone's intensity now and in an hour), and gives every configured pool its zero series, so that a
 * board shows 0 rather than "no data" before the first job. Reads only the store, never a provider.
 */
export async function refreshScraped (deps: Deps, metrics: Metrics, now: Instant): Promise<void> {
  const db = deps.store.db
  // Everything is read first and set after, with no await between a reset and its sets: two
  // scrapes at once (a pair of Prometheus servers) never see a gauge emptied by the other.
  const pools = await listPools(db)
  const counts = await jobCounts(db)
  const zones = []
  for (const zone of deps.providers.keys()) {
    const ahead = now + HOUR_MS
    zones.push({
      zone,
      newest: await newestFetch(db, zone, 'forecast'),
      actual: (await latestPoints(db, zone, 'actual', now - ACTUAL_STALE_MS, now)).at(-1),
      forecast: (await latestPoints(db, zone, 'forecast', ahead, ahead + 1))[0]
    })
  }
  metrics.jobs.reset()
  for (const pool of ['', ...pools.map(p => p.name)]) for (const state of JOB_STATES) metrics.jobs.set({ state, pool }, 0)
  for (const { state, pool, count } of counts) metrics.jobs.set({ state, pool }, count)
  for (const pool of pools) {
    const { signal, gas } = labelsOf(providerLabels(deps.providers.get(pool.zone)))
    for (const kind of EMISSION_KINDS) metrics.emissions.inc({ kind, pool: pool.name, zone: pool.zone, signal, gas }, 0)
    for (const method of ['measured', 'estimated']) metrics.energy.inc({ pool: pool.name, method }, 0)
    for (const call of EXECUTOR_CALLS) for (const kind of FAILURE_KINDS) metrics.executorErrors.inc({ pool: pool.name, call, kind }, 0)
  }
  metrics.intensity.reset()
  for (const { zone, newest, actual, forecast } of zones) {
    if (newest === undefined) metrics.forecastAge.remove({ zone })
    else metrics.forecastAge.set({ zone }, (now - newest.fetchedAt) / 1000)
    if (actual !== undefined) metrics.intensity.set({ zone, kind: 'actual' }, actual.gPerKwh)
    if (forecast !== undefined) metrics.intensity.set({ zone, kind: 'forecast' }, forecast.gPerKwh)
  }
}

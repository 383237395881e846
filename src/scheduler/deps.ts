import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Metrics } from '../metrics.js'
import type { IntensityProvider } from '../providers/provider.js'
import type { Store } from '../store/db.js'
import type { ZoneStatus } from './forecasts.js'

/** Everything the scheduler and the HTTP routes share; built once by main.ts (or a test). */
export interface Deps {
  store: Store
  config: Config
  /** Zone name → its intensity provider (a `ProviderChain` for chain zones). */
  providers: Map<string, IntensityProvider>
  /** Per-zone fetch outcome, kept in memory for `GET /v1/zones`. */
  zoneStatus: Map<string, ZoneStatus>
  log: Logger
  /** Where provider calls are counted and timed; without it they are only logged. */
  metrics?: Metrics | undefined
}

import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Pool } from '../core/types.js'
import type { Executor } from '../executors/executor.js'
import type { Metrics } from '../metrics.js'
import type { IntensityProvider } from '../providers/provider.js'
import type { Store } from '../store/db.js'
import type { FetchBudgets } from './fetch.js'
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
  /**
   * The process environment, for secrets of pools added through the API after start-up (config
   * pools' secrets are in `config.secrets`). Tests pass their own.
   */
  env?: NodeJS.ProcessEnv | undefined
  /** Provider fetch budgets over `FETCH_BUDGETS`; tests shrink them or inject the timer. */
  fetchBudgets?: Partial<FetchBudgets> | undefined
  /** The executor of a pool; defaults to the real one its `executor` spec names (see `executorOf`). */
  executorFor?: ((pool: Pool) => Executor) | undefined
}

/** A secret by the name of its environment variable: the config's copy first, then the environment. */
export function secretFor (deps: Pick<Deps, 'config' | 'env'>, name: string): string | undefined {
  return deps.config.secrets.get(name) ?? (deps.env?.[name]?.trim() || undefined)
}

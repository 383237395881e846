import type { Pool } from '../core/types.js'
import { agentExecutor } from '../executors/agent.js'
import type { Executor } from '../executors/executor.js'
import { createSlurmExecutor } from '../executors/slurm.js'
import { createWebhookExecutor } from '../executors/webhook.js'
import { meteredExecutor } from '../metrics-record.js'
import { secretFor, type Deps } from './deps.js'

/** Real executors, one per pool and spec, kept so that HTTP clients and tokens are reused. */
const cache = new WeakMap<Deps, Map<string, Executor>>()

/**
 * The executor of a pool: the injected one (tests), else the real one its spec names, with its
 * secret read from the environment variable the spec names. A pool whose secret is missing gets an
 * executor that fails every call with that message, so its jobs wait (and fail at their deadline
 * with the cause) instead of the scheduler stopping. With metrics, every failed call is counted
 * (see `meteredExecutor`).
 */
export function executorOf (deps: Deps, pool: Pool): Executor {
  const executor = deps.executorFor?.(pool) ?? cached(deps, pool)
  return deps.metrics === undefined ? executor : meteredExecutor(deps.metrics, pool.name, executor)
}

function cached (deps: Deps, pool: Pool): Executor {
  const spec = pool.executor
  if (spec.kind === 'agent') return agentExecutor
  let byPool = cache.get(deps)
  if (byPool === undefined) cache.set(deps, byPool = new Map())
  const key = `${pool.name} ${JSON.stringify(spec)}`
  let executor = byPool.get(key)
  if (executor === undefined) {
    executor = build(deps, pool)
    byPool.set(key, executor)
  }
  return executor
}

function build (deps: Deps, pool: Pool): Executor {
  const spec = pool.executor
  if (spec.kind === 'agent') return agentExecutor
  const name = spec.kind === 'webhook' ? spec.secretEnv : spec.tokenEnv
  const secret = secretFor(deps, name)
  if (secret === undefined) return unconfigured(spec.kind, `pool ${pool.name} needs the environment variable ${name}, which is not set`)
  if (spec.kind === 'webhook') {
    // Three tries inside one tick; later ticks retry the hand-over until the job's deadline.
    return createWebhookExecutor(spec, { secret, callbackBase: deps.config.publicUrl, now: Date.now, attempts: 3 })
  }
  return createSlurmExecutor(spec, { token: secret })
}

function unconfigured (kind: Executor['kind'], detail: string): Executor {
  const fail = async (): Promise<never> => { throw new Error(detail) }
  return { kind, leadMs: 0, dispatch: fail, cancel: fail }
}

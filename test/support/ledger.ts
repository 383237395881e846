import type { Instant } from '../../src/core/types.js'
import { ProviderError, type IntensityProvider } from '../../src/providers/provider.js'
import type { Deps } from '../../src/scheduler/deps.js'
import { finishRun, startRun } from '../../src/scheduler/runs.js'
import { getJobById, transitionJob } from '../../src/store/jobs.js'
import { getPool } from '../../src/store/pools.js'
import { insertRun } from '../../src/store/runs.js'

/** How a test run goes: it starts and ends at these instants, with measured energy or not. */
export interface TestRun {
  start: Instant
  end: Instant
  energyKwh?: number | null
  exitCode?: number
}

/**
 * Takes a planned job through the real lifecycle: dispatched as attempt 1 to its planned pool (its power model kept),
 * started, and finished (succeeded with exit code 0 unless told otherwise).
 */
export async function runPlannedJob (deps: Deps, jobId: string, run: TestRun): Promise<void> {
  const db = deps.store.db
  const job = await getJobById(db, jobId)
  if (job?.plan === null || job?.plan === undefined) throw new Error(`job ${jobId} has no plan`)
  await transitionJob(db, { id: jobId, from: ['planned'], to: 'dispatched', at: new Date(run.start), reason: 'test dispatch', attempt: 1 })
  const model = await getPool(db, job.plan.pool)
  await insertRun(db, { jobId, attempt: 1, pool: job.plan.pool, ...(model === undefined ? {} : { model }), executor: 'agent', at: run.start })
  await startRun(deps, jobId, 1, run.start, run.start)
  await finishRun(deps, jobId, 1, { exitCode: run.exitCode ?? 0, startedAt: null, finishedAt: run.end, energyKwh: run.energyKwh ?? null }, run.end)
}

/** The providers of `deps` with actuals not published yet: forecasts as before, actuals an outage. */
export function withoutActuals (deps: Deps): Deps {
  const providers = new Map([...deps.providers].map(([zone, p]): [string, IntensityProvider] => [zone, {
    id: p.id,
    signal: p.signal,
    ...(p.gas === undefined ? {} : { gas: p.gas }),
    ...(p.factorType === undefined ? {} : { factorType: p.factorType }),
    forecast: p.forecast.bind(p),
    actuals: async (z: string) => { throw new ProviderError(p.id, z, 'unavailable', 'actuals not published yet (test)') }
  }]))
  return { ...deps, providers }
}

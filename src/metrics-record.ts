import type { JobLedger } from './core/types.js'
import { isPermanent, type Executor } from './executors/executor.js'
import type { Metrics } from './metrics.js'

/**
 * Counts a job's ledger once, when it becomes final: a provisional ledger changes as actuals arrive,
 * and a counter that counted it then could not take it back. Every kind is labelled with the pool
 * and zone the job last ran in, so that baseline − actual = avoided holds per pool, and with its own
 * figure's signal and gas, so that grams of different things are never one series. `excess` counts
 * what a job emitted beyond its baseline, since a counter never goes down (net avoided is avoided −
 * excess); when baseline and actual are not comparable (avoided is null), neither is counted.
 * Energy is counted per attempt, in the attempt's pool.
 */
export function recordFinalLedger (metrics: Metrics, ledger: JobLedger): void {
  const where = { pool: ledger.actual.pool, zone: ledger.actual.zone }
  const on = (f: { signal: string, gas: string }) => ({ ...where, signal: f.signal, gas: f.gas })
  metrics.emissions.inc({ ...on(ledger.expected), kind: 'expected' }, ledger.expected.grams)
  metrics.emissions.inc({ ...on(ledger.actual), kind: 'actual' }, ledger.actual.grams)
  const avoided = ledger.avoidedGrams
  if (avoided !== null) {
    const labels = on(ledger.actual)
    metrics.emissions.inc({ ...labels, kind: 'baseline' }, ledger.baseline.grams)
    metrics.emissions.inc({ ...labels, kind: 'avoided' }, Math.max(0, avoided))
    metrics.emissions.inc({ ...labels, kind: 'excess' }, Math.max(0, -avoided))
  }
  for (const a of ledger.attempts) metrics.energy.inc({ pool: a.pool, method: a.energyMethod }, a.energyKwh)
}

/** The kinds of `greenshift_emissions_grams_total`. */
export const EMISSION_KINDS = ['expected', 'baseline', 'actual', 'avoided', 'excess'] as const

/** The calls and failure kinds of `greenshift_executor_errors_total`. */
export const EXECUTOR_CALLS = ['dispatch', 'poll', 'cancel', 'reschedule'] as const
export const FAILURE_KINDS = ['timeout', 'refused', 'error'] as const

function timedOut (err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'TimeoutError' || e.name === 'CallTimeoutError') return true
  }
  return false
}

/** What kind of failure an executor call met: its time ran out, a refusal for good, or anything else. */
function failureKind (err: unknown, signal: AbortSignal | undefined): typeof FAILURE_KINDS[number] {
  // The pass's deadline aborts the signal; a client's own deadline (Slurm's and the webhook's per-call
  // timeouts) is a TimeoutError, wrapped as the cause of the executor's error.
  if (signal?.aborted === true || timedOut(err)) return 'timeout'
  return isPermanent(err) ? 'refused' : 'error'
}

/** The executor with every failed call counted in `greenshift_executor_errors_total` under its pool. */
export function meteredExecutor (metrics: Metrics, pool: string, executor: Executor): Executor {
  const count = <A extends unknown[], R>(call: typeof EXECUTOR_CALLS[number], fn: (...args: A) => Promise<R>, signalOf: (args: A) => AbortSignal | undefined) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args)
      } catch (err) {
        metrics.executorErrors.inc({ pool, call, kind: failureKind(err, signalOf(args)) })
        throw err
      }
    }
  const { dispatch, cancel, poll, reschedule } = executor
  return {
    kind: executor.kind,
    leadMs: executor.leadMs,
    dispatch: count('dispatch', dispatch.bind(executor), a => a[2]),
    cancel: count('cancel', cancel.bind(executor), a => a[1]),
    ...(poll === undefined ? {} : { poll: count('poll', poll.bind(executor), a => a[1]) }),
    ...(reschedule === undefined ? {} : { reschedule: count('reschedule', reschedule.bind(executor), a => a[2]) })
  }
}

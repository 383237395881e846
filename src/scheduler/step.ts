import { isDatabaseUnavailable } from '../store/unavailable.js'
import type { Deps } from './deps.js'
import { LeaseLostError } from './lease.js'
import { errorMessage } from '../errors.js'

/**
 * Whether an error must end the whole pass: the lease is lost (another instance leads now) or the
 * database is unreachable (nothing else can be recorded either). Any other failure belongs to one
 * step, job, run or zone, and the pass goes on without it.
 */
export function endsPass (err: unknown): boolean {
  return err instanceof LeaseLostError || isDatabaseUnavailable(err)
}

/**
 * Runs one part of a pass (a step, or one job's or run's share of it). A failure that does not end
 * the pass (see `endsPass`) is logged and noted in `errors` as "`what`: message", and `fallback` is
 * returned, so one bad job, zone or executor never stops the others.
 */
export async function isolated<T> (deps: Deps, errors: string[], what: string, work: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (endsPass(err)) throw err
    errors.push(`${what}: ${errorMessage(err)}`)
    deps.log.error({ err, what }, 'scheduler step failed; the pass goes on without it')
    return fallback
  }
}

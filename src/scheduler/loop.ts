import type { Instant } from '../core/types.js'
import type { Deps } from './deps.js'
import { tick } from './tick.js'

/**
 * How long the leader's lease lasts: three intervals, and at least a minute, so that one slow
 * executor call (a webhook's retries take up to ~30 s) never outlives it between two renewals.
 * A standby takes over within this long after the leader dies.
 */
export function leaseMsFor (intervalMs: number): number {
  return Math.max(3 * intervalMs, 60_000)
}

/**
 * Repeats `tick` every `intervalMs`, reading the clock once per pass. A pass never overlaps the
 * previous one; the lease (see `leaseMsFor`) is renewed before every executor call.
 */
export function startLoop (deps: Deps, holder: string, intervalMs: number, clock: () => Instant = Date.now): { stop: () => Promise<void> } {
  let running: Promise<unknown> | undefined
  const pass = () => {
    if (running !== undefined) return
    running = tick(deps, holder, clock(), leaseMsFor(intervalMs), clock)
      .then(r => { if (r.planned > 0 || r.stillPending > 0) deps.log.info(r, 'tick') })
      .catch(err => deps.log.error({ err }, 'tick failed'))
      .finally(() => { running = undefined })
  }
  const timer = setInterval(pass, intervalMs)
  timer.unref()
  pass()
  return {
    stop: async () => {
      clearInterval(timer)
      await running
    }
  }
}

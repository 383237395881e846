import type { Instant } from '../core/types.js'
import type { Deps } from './deps.js'
import { tick } from './tick.js'

/**
 * Repeats `tick` every `intervalMs`, reading the clock once per pass. A pass never overlaps the
 * previous one; the lease lasts three intervals so one slow pass does not hand leadership away.
 */
export function startLoop (deps: Deps, holder: string, intervalMs: number, clock: () => Instant = Date.now): { stop: () => Promise<void> } {
  let running: Promise<unknown> | undefined
  const pass = () => {
    if (running !== undefined) return
    running = tick(deps, holder, clock(), 3 * intervalMs)
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

import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Instant } from '../core/types.js'
import { isDatabaseUnavailable } from '../store/unavailable.js'
import type { Deps } from './deps.js'
import { tick, type TickResult } from './tick.js'
import { errorMessage } from '../errors.js'

/**
 * How long the leader's lease lasts: three intervals, and at least a minute, unless configured
 * (`GREENSHIFT_LEASE_SECONDS`). A standby takes over within this long after the leader dies; a pass
 * starts new work for half of it and an executor call lasts at most a third (see `limitsFor`).
 */
export function leaseMsFor (intervalMs: number, configuredMs?: number): number {
  return configuredMs ?? Math.max(3 * intervalMs, 60_000)
}

/**
 * This process's name in the lease: host, pid and 8 random hex digits. Host and pid alone are not
 * unique (two containers are both pid 1 on hosts of the same name), and two holders of one name
 * would both lead.
 */
export function holderId (): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
}

/**
 * Repeats `tick` every `intervalMs`, reading the clock once per pass. A pass never overlaps the
 * previous one. While the database is unreachable the passes fail at once; the loop says so once
 * ("paused") and once again when a pass succeeds ("resumed"), and `pg` reconnects by itself.
 */
export function startLoop (deps: Deps, holder: string, intervalMs: number, leaseMs = leaseMsFor(intervalMs), clock: () => Instant = Date.now): { stop: () => Promise<void> } {
  let running: Promise<unknown> | undefined
  let paused = false
  const done = (r: TickResult): void => {
    if (paused) deps.log.info({ holder }, 'the database answers again: the scheduler resumes')
    paused = false
    if (r.planned > 0 || r.stillPending > 0 || r.errors.length > 0) deps.log.info(r, 'tick')
  }
  const failed = (err: unknown): void => {
    if (!isDatabaseUnavailable(err)) deps.log.error({ err }, 'tick failed')
    else if (!paused) deps.log.warn({ holder, err: errorMessage(err) }, 'the database is unreachable: the scheduler pauses until it answers')
    paused ||= isDatabaseUnavailable(err)
  }
  const pass = () => {
    if (running !== undefined) return
    const timer = deps.metrics?.tickSeconds.startTimer()
    running = tick(deps, holder, clock(), leaseMs, clock).then(done, failed).finally(() => {
      running = undefined
      timer?.()
    })
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

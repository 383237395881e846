import type { Instant } from '../core/types.js'
import { UNGUARDED, type LeaseGuard } from './lease.js'

/** How much one scheduler pass may do, derived from the lease (see `limitsFor`). */
export interface TickLimits {
  /** From the pass's start, ms: no new executor call or ledger is started after this. */
  budgetMs: number
  /** One executor call (hand-over, poll, cancel, reschedule), ms: it is aborted after this. */
  callTimeoutMs: number
  /** Executor calls in flight at once. */
  concurrency: number
}

/** Executor calls a pass keeps in flight at once: 8 receivers or Slurm calls, each mostly waiting on the network. */
const CONCURRENCY = 8
/** A webhook or slurmrestd answers in well under a second; 20 s is a receiver in trouble, tried again later. */
const CALL_TIMEOUT_MS = 20_000

/**
 * The limits of a pass under a lease of `leaseMs`: it starts new work for half the lease, and one
 * executor call lasts at most a third of it (20 s at most), so the lease, renewed before every
 * call, never runs out while a call is under way. With the default 60 s lease: 30 s and 20 s.
 */
export function limitsFor (leaseMs: number): TickLimits {
  return { budgetMs: leaseMs / 2, callTimeoutMs: Math.min(CALL_TIMEOUT_MS, leaseMs / 3), concurrency: CONCURRENCY }
}

/** One pass's clock, budget and lease. */
export interface Pass {
  readonly limits: TickLimits
  readonly guard: LeaseGuard
  /** Whether the budget is spent: start nothing new. */
  spent: () => boolean
}

export function startPass (limits: TickLimits, guard: LeaseGuard, clock: () => Instant): Pass {
  const endsAt = clock() + limits.budgetMs
  return { limits, guard, spent: () => clock() >= endsAt }
}

/** A pass that never loses its lease nor runs out of time: for one step run outside the loop (tools, tests). */
export function unguardedPass (limits: TickLimits = limitsFor(60_000)): Pass {
  return { limits, guard: UNGUARDED, spent: () => false }
}

/** An executor call that did not settle in its time (the callee may have ignored the abort). Transient. */
export class CallTimeoutError extends Error {
  readonly permanent = false
  constructor (what: string, ms: number) {
    super(`${what}: no answer within ${Math.round(ms)} ms`)
    this.name = 'CallTimeoutError'
  }
}

/**
 * `call(signal)` with the pass's per-call timeout: the signal aborts when the time is up, and the
 * result rejects with `CallTimeoutError` then even if the callee ignores the signal.
 */
export async function within<T> (pass: Pass, what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ms = pass.limits.callTimeoutMs
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new CallTimeoutError(what, ms)
      controller.abort(error)
      reject(error)
    }, ms)
  })
  try {
    return await Promise.race([call(controller.signal), expired])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Runs `work` for each item, at most `concurrency` at a time, renewing the lease before each
 * (a lost lease stops the pass: `LeaseLostError` is thrown once the calls under way settle).
 * Items not started when the budget is spent are left for the next pass. `work` handles its own
 * failures; one that escapes is thrown after the others finish.
 */
export async function forEachBounded<T> (pass: Pass, items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failure: { err: unknown } | undefined
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length && !pass.spent()) {
      const item = items[next++] as T
      try {
        await pass.guard.renew()
        await work(item)
      } catch (err) {
        failure ??= { err }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(pass.limits.concurrency, items.length) }, lane))
  if (failure !== undefined) throw failure.err
}

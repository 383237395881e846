import { holdsLease, tryAcquireLease } from '../store/leases.js'
import type { Db } from '../store/schema.js'
import type { Deps } from './deps.js'

export const LEASE_NAME = 'scheduler'

/** Thrown when this instance finds it no longer leads: the rest of the pass is left to the new leader. */
export class LeaseLostError extends Error {
  readonly code = 'lease-lost'
  constructor (holder: string) {
    super(`${holder} lost the scheduler lease during a pass`)
    this.name = 'LeaseLostError'
  }
}

/**
 * The leader's hold on the scheduler during one pass. A pass can outlast the lease (slow providers,
 * an executor timing out), and another instance may then take over: `renew` is called between the
 * pass's steps and before every call to an executor, and `check` inside every dispatch transaction,
 * so a leader that lost the lease stops before it hands a job over a second time. Expiry is judged
 * by the database's clock (see `tryAcquireLease`).
 */
export interface LeaseGuard {
  /** Extends the lease by its TTL; throws `LeaseLostError` when another holds it. */
  renew: () => Promise<void>
  /** Inside a transaction: throws `LeaseLostError` unless the lease is still ours. */
  check: (trx: Db) => Promise<void>
}

export function leaseGuard (deps: Deps, holder: string, ttlMs: number): LeaseGuard {
  return {
    renew: async () => {
      if (!await tryAcquireLease(deps.store.db, LEASE_NAME, holder, ttlMs)) throw new LeaseLostError(holder)
    },
    check: async trx => {
      if (!await holdsLease(trx, LEASE_NAME, holder)) throw new LeaseLostError(holder)
    }
  }
}

/** A guard that never loses: for callers that run one step outside the loop (tests, tools). */
export const UNGUARDED: LeaseGuard = { renew: async () => {}, check: async () => {} }

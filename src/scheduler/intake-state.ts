import { performance } from 'node:perf_hooks'
import { CapacityLedger } from '../core/capacity.js'
import type { Instant, Interval, Pool } from '../core/types.js'
import type { Store } from '../store/db.js'
import { poolCapacity } from '../store/capacity.js'
import { listPools } from '../store/pools.js'

/**
 * A process's memory of what submissions plan against, per store:
 * - the pools, re-read at most every `POOLS_TTL_MS` (and at once after a change made here or a
 *   version the write statement refused);
 * - each pool's reservations in one capacity ledger, with the pool's `capacity_version` they are
 *   exact for. A write succeeds only while the locked pool row still has that version (see
 *   `writeNewJob`), so memory being behind costs a retry, never an overbooking. Releases (logged
 *   in `pool_releases`) only make the memory pessimistic; when one is seen the pool is re-read;
 * - a turn per pool: this process writes one job per pool at a time and applies it to memory
 *   before the next, so its own writes never look like someone else's.
 */
export class IntakeState {
  private pools: { list: Pool[], readAt: number } | undefined
  private poolsRead: Promise<Pool[]> | undefined
  readonly ledger = new CapacityLedger()
  private readonly versions = new Map<string, { version: string, released: string | null }>()
  private readonly loading = new Map<string, Promise<void>>()
  private readonly turns = new Map<string, Promise<unknown>>()

  constructor (private readonly store: Store) {}

  /** The pools, from memory while fresh; one read however many callers miss at once. */
  async poolList (): Promise<Pool[]> {
    if (this.pools !== undefined && performance.now() - this.pools.readAt < POOLS_TTL_MS) return this.pools.list
    this.poolsRead ??= listPools(this.store.db).then(list => {
      this.pools = { list, readAt: performance.now() }
      return list
    }).finally(() => { this.poolsRead = undefined })
    return await this.poolsRead
  }

  /** Forgets the pools (after a change to one), and with `name` that pool's reservations. */
  forgetPools (name?: string): void {
    this.pools = undefined
    if (name !== undefined) this.versions.delete(name)
  }

  /** Drops these pools' reservations from memory: they are read again before the next plan. */
  forgetCapacity (names: readonly string[]): void {
    for (const name of names) this.versions.delete(name)
  }

  /** The version (and newest release) the ledger holds `pool` at; undefined when it must be (re)loaded. */
  versionOf (pool: string): { version: string, released: string | null } | undefined {
    return this.versions.get(pool)
  }

  /** Loads, in parallel, the reservations of every pool not in memory (or out of date) that end after `now`. */
  async load (pools: readonly Pool[], now: Instant): Promise<void> {
    await Promise.all(pools.filter(p => !this.versions.has(p.name)).map(async p => {
      const underway = this.loading.get(p.name)
      if (underway !== undefined) return await underway
      const work = poolCapacity(this.store.db, p.name, now).then(read => {
        if (read === undefined) return
        this.ledger.setPool(p.name, read.reservations)
        this.versions.set(p.name, { version: read.version, released: read.released })
      }).finally(() => this.loading.delete(p.name))
      this.loading.set(p.name, work)
      await work
    }))
  }

  /** True when `gpus` more GPUs fit in the pool over every interval, by what memory holds. */
  fits (pool: Pool, gpus: number, segments: readonly Interval[]): boolean {
    return segments.every(s => this.ledger.blockedIntervals(pool.name, pool.gpuCount, gpus, s.start, s.end).length === 0)
  }

  /**
   * After a write: its reservation joins memory at the version it made (the write checked that
   * memory was exact); a refusal drops the pool, and the pool list, so the next plan re-reads them.
   */
  settle (pool: string, outcome: { written: boolean, poolVersion: string | null, released: string | null }, gpus: number, segments: readonly Interval[]): void {
    const known = this.versions.get(pool)
    if (!outcome.written || outcome.poolVersion === null || known === undefined) {
      this.versions.delete(pool)
      if (!outcome.written) this.pools = undefined
      return
    }
    for (const s of segments) this.ledger.reserve({ pool, gpus, start: s.start, end: s.end })
    this.versions.set(pool, { version: outcome.poolVersion, released: outcome.released })
  }

  /** Runs `work` when this process's previous write to `pool` is done: one at a time per pool. */
  async turn<T> (pool: string, work: () => Promise<T>): Promise<T> {
    const before = this.turns.get(pool) ?? Promise.resolve()
    const mine = before.then(work, work)
    const tail = mine.catch(() => undefined)
    this.turns.set(pool, tail)
    try {
      return await mine
    } finally {
      if (this.turns.get(pool) === tail) this.turns.delete(pool)
    }
  }
}

/** How long a process plans on its list of pools before reading it again: pools added by another replica appear within this. */
const POOLS_TTL_MS = 2_000

const states = new WeakMap<Store, IntakeState>()

/** The intake state of a store (one per store: a test's fresh store starts empty). */
export function intakeState (store: Store): IntakeState {
  let state = states.get(store)
  if (state === undefined) {
    state = new IntakeState(store)
    states.set(store, state)
  }
  return state
}

/** Forgets everything remembered for a store: for tests that empty its tables. */
export function resetIntakeState (store: Store): void {
  states.delete(store)
}

import { performance } from 'node:perf_hooks'
import { BoundedLedger } from '../core/bounded-ledger.js'
import type { Instant, Interval, Pool } from '../core/types.js'
import type { Store } from '../store/db.js'
import { perStore } from '../store/per-store.js'
import { capacityVersions, poolCapacity } from '../store/capacity.js'
import { listPools } from '../store/pools.js'

/**
 * A process's memory of what submissions plan against, per store:
 * - the pools, re-read at most every `POOLS_TTL_MS` (and at once after a change made here or a
 *   version the write statement refused);
 * - each pool's reservations in one capacity ledger, with the pool's `capacity_version` they hold
 *   every reservation for. A write succeeds only while the locked pool row still has that version
 *   (see `writeNewJobs`), so memory being behind costs a retry, never an overbooking. Releases
 *   (logged in `pool_releases`) only make memory pessimistic; a pool with releases memory has not
 *   read is read again, at most every `RELEASES_MS`;
 * - a writer per pool (`PoolWriter`): this process writes one batch per pool at a time and applies
 *   it to memory before the next, so its own writes never look like someone else's.
 */
export class IntakeState {
  private pools: { list: Pool[], readAt: number } | undefined
  private poolsRead: Promise<Pool[]> | undefined
  readonly ledger = new BoundedLedger()
  private readonly known = new Map<string, PoolMemory>()
  private readonly writers = new Map<string, PoolWriter<unknown>>()

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
    if (name !== undefined) this.forgetCapacity([name])
  }

  /** Drops these pools' reservations from memory: they are read again before the next plan. */
  forgetCapacity (names: readonly string[]): void {
    for (const name of names) {
      const m = this.memory(name)
      m.version = undefined
      m.generation++
    }
  }

  private memory (pool: string): PoolMemory {
    let m = this.known.get(pool)
    if (m === undefined) {
      m = { version: undefined, generation: 0, writing: false, loadedAt: 0 }
      this.known.set(pool, m)
    }
    return m
  }

  /** The version (and newest release) the ledger holds `pool` at; undefined when it must be (re)loaded. */
  versionOf (pool: string): { version: string, released: string | null } | undefined {
    return this.known.get(pool)?.version
  }

  /**
   * Loads, in parallel, the reservations (ending after `now`) of every pool not in memory. A read
   * lands only if memory of the pool did not move meanwhile and no write to it is under way (the
   * writer itself passes `writer`): a read from before a write must never replace what it wrote.
   */
  async load (pools: readonly Pool[], now: Instant, writer = false): Promise<void> {
    await Promise.all(pools.filter(p => this.versionOf(p.name) === undefined).map(async p => {
      const m = this.memory(p.name)
      const generation = m.generation
      const read = await poolCapacity(this.store.db, p.name, now)
      if (read === undefined || m.generation !== generation || (m.writing && !writer)) return
      this.ledger.setPool(p.name, read.reservations)
      m.version = { version: read.version, released: read.released }
      m.loadedAt = performance.now()
    }))
  }

  /**
   * Whether memory of these pools is what the database holds now (versions and newest releases,
   * one query); the pools that are not are dropped, to be read again. With `releasesMs`, memory
   * read within that many ms counts as current despite releases since (it is merely pessimistic).
   */
  async current (pools: readonly Pool[], releasesMs = 0): Promise<boolean> {
    const versions = await capacityVersions(this.store.db)
    const stale = pools.filter(p => {
      const known = this.versionOf(p.name)
      const now = versions.get(p.name)
      if (known === undefined || now === undefined || known.version !== now.version) return true
      return known.released !== now.released && performance.now() - this.memory(p.name).loadedAt >= releasesMs
    })
    this.forgetCapacity(stale.map(p => p.name))
    return stale.length === 0
  }

  /**
   * Whether "no room" on memory of these pools stands (one query): memory may lack reservations
   * added since (which only take room away) but must hold no reservation released since. Pools
   * with releases memory has not read are dropped, to be read again.
   */
  async noUnreadReleases (pools: readonly Pool[]): Promise<boolean> {
    const versions = await capacityVersions(this.store.db)
    const stale = pools.filter(p => this.versionOf(p.name) === undefined || this.versionOf(p.name)?.released !== versions.get(p.name)?.released)
    this.forgetCapacity(stale.filter(p => this.versionOf(p.name) !== undefined).map(p => p.name))
    return stale.length === 0
  }

  /** True when `gpus` more GPUs fit in the pool over every interval, by what memory holds. */
  fits (pool: Pool, gpus: number, segments: readonly Interval[]): boolean {
    return segments.every(s => this.ledger.blockedIntervals(pool.name, pool.gpuCount, gpus, s.start, s.end).length === 0)
  }

  /**
   * A write made memory's reservations (already held in the ledger) the pool's state at `version`,
   * but for releases up to `released`, which memory may not reflect: once memory is older than
   * `RELEASES_MS`, a pool with releases it has not read is read again (at most so often, however
   * many jobs finish).
   */
  confirm (pool: string, version: string, released: string | null): void {
    const m = this.memory(pool)
    const known = m.version
    m.generation++
    if (known === undefined) return
    m.version = { version, released: known.released }
    if (released !== known.released && performance.now() - m.loadedAt >= RELEASES_MS) m.version = undefined
  }

  /**
   * The pool's writer: submissions to it wait in its queue and are written together, one batch at
   * a time, by `flush` (given when the pool's writer is first made).
   */
  writer<T> (pool: string, flush: (batch: T[]) => Promise<void>): PoolWriter<T> {
    let w = this.writers.get(pool) as PoolWriter<T> | undefined
    if (w === undefined) {
      const m = this.memory(pool)
      w = new PoolWriter<T>(flush, busy => { m.writing = busy })
      this.writers.set(pool, w as PoolWriter<unknown>)
    }
    return w
  }
}

/** What a process knows of one pool's reservations. */
interface PoolMemory {
  /** The version the ledger holds the pool at; undefined: read it again. */
  version: { version: string, released: string | null } | undefined
  /** Moves whenever memory of the pool changes, so a read from before can tell. */
  generation: number
  /** A batch is being written: reads other than the writer's do not land. */
  writing: boolean
  /** When the pool's reservations were last read (performance.now()). */
  loadedAt: number
}

/** How stale, in ms, memory may grow by releases it has not read before a pool is read again. */
export const RELEASES_MS = 1_000

/**
 * One pool's submissions, written in batches: while a batch's statement is under way the next
 * submissions queue, and go together in the next statement. A pool takes one write at a time (its
 * row lock), so batching is what lets many clients share it: each statement carries all who came
 * while the last one ran.
 */
export class PoolWriter<T> {
  private queue: T[] = []
  private busy = false

  constructor (private readonly flush: (batch: T[]) => Promise<void>, private readonly onBusy: (busy: boolean) => void) {}

  /** Queues an item; `flush` gets it in the next batch (at most `MAX_BATCH` items). */
  add (item: T): void {
    this.queue.push(item)
    if (!this.busy) void this.run()
  }

  private async run (): Promise<void> {
    this.busy = true
    this.onBusy(true)
    try {
      while (this.queue.length > 0) {
        // One turn of the event loop first: requests read meanwhile join this batch. With the
        // embedded database a statement holds the loop, so without it batches stay small.
        await new Promise(resolve => setImmediate(resolve))
        await this.flush(this.queue.splice(0, MAX_BATCH))
      }
    } finally {
      this.busy = false
      this.onBusy(false)
    }
  }
}

/** Most submissions written by one statement. */
export const MAX_BATCH = 64

/** How long a process plans on its list of pools before reading it again: pools added by another replica appear within this. */
const POOLS_TTL_MS = 2_000

const states = perStore(store => new IntakeState(store))

/** The intake state of a store (one per store: a test's fresh store starts empty). */
export function intakeState (store: Store): IntakeState {
  return states.of(store)
}

/** Forgets everything remembered for a store: for tests that empty its tables. */
export function resetIntakeState (store: Store): void {
  states.forget(store)
}

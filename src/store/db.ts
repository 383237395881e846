import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, Migrator, PostgresDialect, sql, type Transaction } from 'kysely'
import pg from 'pg'
import { migrationProvider } from '../../migrations/index.js'
import { lockDataDir } from './data-dir-lock.js'
import { PGliteDialect } from './pglite-dialect.js'
import type { Database } from './schema.js'

/** An open database: Kysely over real PostgreSQL or embedded PGlite. */
export interface Store {
  db: Kysely<Database>
  kind: 'pglite' | 'postgres'
  /** Ends the pool or closes PGlite. A process with an open PGlite instance never exits. */
  close(): Promise<void>
}

/** Where the store lives. */
export interface StoreOptions {
  /** postgres:// URL; when set, a `pg` Pool is used and `dataDir` is ignored. */
  databaseUrl?: string
  /** PGlite data directory (created if missing), or 'memory://' for an in-memory database. */
  dataDir?: string
  /** PostgreSQL only: the schema to work in (`search_path`), e.g. to isolate a test file. */
  searchPath?: string
  /**
   * PostgreSQL only: told of connection errors outside any query (a restart or a crash of the
   * server closes idle connections). Without a listener, `pg` would throw them as unhandled 'error'
   * events and end the process; the pool drops the broken connection and opens new ones on demand.
   */
  onConnectionError?: (err: Error) => void
  /** PGlite only: what this process does with the directory, named in its lock (e.g. "serve"). */
  purpose?: string
}

const MEMORY = 'memory://'
const POOL_SIZE = 10
/**
 * How long a query waits for a connection: while the server is down or restarting, requests fail
 * within 5 s (answered 503) instead of queueing for ever behind a dead pool.
 */
const CONNECT_TIMEOUT_MS = 5_000
const INT8_OID = 20

/** Opens PostgreSQL when `databaseUrl` is given, else PGlite at `dataDir` (default in memory). */
export async function openStore (opts: StoreOptions): Promise<Store> {
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
    return openPostgres(opts.databaseUrl, opts.searchPath, opts.onConnectionError)
  }
  return openPglite(opts.dataDir ?? MEMORY, opts.purpose ?? 'greenshift')
}

/**
 * Applies pending migrations and returns their names. The migration tables live in the current
 * schema (so a test schema gets its own); an error names the migration that failed.
 */
export async function migrateToLatest (db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)
  const schema = rows[0]?.schema
  if (schema === null || schema === undefined) throw new Error('migrate: no current schema (does search_path exist?)')
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema: schema })
  const { error, results = [] } = await migrator.migrateToLatest()
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? '(before any migration)'
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(`migration ${failed} failed: ${message}`, { cause: error })
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

async function openPostgres (databaseUrl: string, searchPath?: string, onError: (err: Error) => void = () => {}): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // TCP keep-alive notices a server that vanished without closing (a crashed host, a cut network).
    keepAlive: true,
    types: { getTypeParser: typeParser },
    ...(searchPath === undefined ? {} : { options: `-c search_path=${checkSchemaName(searchPath)}` })
  })
  // An idle connection's error reaches the pool; a checked-out connection's error, between two
  // statements of a transaction, reaches only the client: both need a listener or the process dies.
  pool.on('error', onError)
  pool.on('connect', client => { client.on('error', onError) })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return { db, kind: 'postgres', close: () => db.destroy() }
}

/**
 * PGlite in `dataDir`, locked for this process (see `lockDataDir`): a second process on the same
 * directory would work on its own copy of the data, unseen by the first.
 */
async function openPglite (dataDir: string, purpose: string): Promise<Store> {
  if (dataDir === MEMORY) return pgliteStore(await PGlite.create({}), () => {})
  await mkdir(dataDir, { recursive: true })
  const unlock = lockDataDir(dataDir, purpose)
  try {
    return pgliteStore(await PGlite.create({ dataDir }), unlock)
  } catch (err) {
    unlock()
    throw err
  }
}

/** A store over an open PGlite instance; `close` closes it and then calls `unlock` (its directory's lock, if any). */
export function pgliteStore (pglite: PGlite, unlock: () => void = () => {}): Store {
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) })
  const close = async (): Promise<void> => {
    try {
      await db.destroy()
      await pglite.close()
    } finally {
      unlock()
    }
  }
  return { db, kind: 'pglite', close }
}

/** The advisory lock key of start-up work that must run once across instances (first admin key). */
const BOOTSTRAP_LOCK = 0x67726e73 // 'grns'

/**
 * Runs `work` in a transaction that, on PostgreSQL, first takes a transaction-scoped advisory lock,
 * so instances starting together on one database do it one after another (the second then finds
 * the first's result). PGlite is one process's own database (its directory is locked), so the
 * transaction alone suffices there.
 */
export async function withStartupLock<T> (store: Store, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return await store.db.transaction().execute(async trx => {
    if (store.kind === 'postgres') await sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(trx)
    return await work(trx)
  })
}

/**
 * `pg` returns int8 (e.g. `count(*)`) as a string; PGlite returns a number, or a BigInt beyond
 * 2^53. Do the same here so both drivers agree. Everything else keeps pg's defaults
 * (int4/float8 → number, timestamptz → Date, jsonb → parsed).
 */
function typeParser (oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID && format !== 'binary') return parseInt8
  return pg.types.getTypeParser(oid, format ?? 'text')
}

function parseInt8 (value: string): number | bigint {
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : BigInt(value)
}

/** Only plain identifiers: the name goes into a libpq `options` string unquoted. */
function checkSchemaName (name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(name)) throw new Error(`invalid schema name: ${name}`)
  return name
}

import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { migrationProvider } from '../../migrations/index.js'
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
}

const MEMORY = 'memory://'
const POOL_SIZE = 10
const INT8_OID = 20

/** Opens PostgreSQL when `databaseUrl` is given, else PGlite at `dataDir` (default in memory). */
export async function openStore (opts: StoreOptions): Promise<Store> {
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
    return openPostgres(opts.databaseUrl, opts.searchPath)
  }
  return openPglite(opts.dataDir ?? MEMORY)
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

async function openPostgres (databaseUrl: string, searchPath?: string): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: POOL_SIZE,
    types: { getTypeParser: typeParser },
    ...(searchPath === undefined ? {} : { options: `-c search_path=${checkSchemaName(searchPath)}` })
  })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return { db, kind: 'postgres', close: () => db.destroy() }
}

async function openPglite (dataDir: string): Promise<Store> {
  if (dataDir !== MEMORY) await mkdir(dataDir, { recursive: true })
  const pglite = await PGlite.create(dataDir === MEMORY ? {} : { dataDir })
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) })
  const close = async (): Promise<void> => {
    await db.destroy()
    await pglite.close()
  }
  return { db, kind: 'pglite', close }
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

import type { PGlite } from '@electric-sql/pglite'
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler
} from 'kysely'
import type {
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings
} from 'kysely'

/** Options of {@link PGliteDialect}. */
export interface PGliteDialectConfig {
  /** An open PGlite instance; the dialect does not own it and never closes it. */
  pglite: PGlite
}

/**
 * A Kysely dialect for embedded PGlite. PGlite is a single backend, so the driver hands out one
 * connection at a time: a transaction holds it from BEGIN to COMMIT/ROLLBACK and every other query
 * waits for it. Consequence: inside `db.transaction()` use the transaction object, never `db`, or
 * the callback waits for itself.
 */
export class PGliteDialect implements Dialect {
  readonly #config: PGliteDialectConfig

  constructor (config: PGliteDialectConfig) {
    this.#config = config
  }

  createDriver (): Driver {
    return new PGliteDriver(this.#config.pglite)
  }

  createQueryCompiler (): QueryCompiler {
    return new PostgresQueryCompiler()
  }

  createAdapter (): DialectAdapter {
    return new PostgresAdapter()
  }

  createIntrospector (db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db)
  }
}

/** A FIFO mutex: `lock()` resolves with the function that releases it. */
class Mutex {
  #tail: Promise<void> = Promise.resolve()

  async lock (): Promise<() => void> {
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    const previous = this.#tail
    this.#tail = previous.then(() => held)
    await previous
    return release
  }
}

const COUNTED_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE'])

class PGliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite

  constructor (pglite: PGlite) {
    this.#pglite = pglite
  }

  async executeQuery<R> (compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#pglite.query<R>(
      compiledQuery.sql,
      [...compiledQuery.parameters],
      { rowMode: 'object' }
    )
    const counted = result.command !== undefined && COUNTED_COMMANDS.has(result.command)
    return counted
      ? { rows: result.rows, numAffectedRows: BigInt(result.affectedRows ?? 0) }
      : { rows: result.rows }
  }

  /** PGlite has no cursors over this API: run the query once and yield it in chunks. */
  async * streamQuery<R> (compiledQuery: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    if (!Number.isInteger(chunkSize) || chunkSize <= 0) {
      throw new Error('chunkSize must be a positive integer')
    }
    const { rows } = await this.executeQuery<R>(compiledQuery)
    for (let i = 0; i < rows.length; i += chunkSize) {
      yield { rows: rows.slice(i, i + chunkSize) }
    }
  }
}

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection
  readonly #mutex = new Mutex()
  #release: (() => void) | undefined

  constructor (pglite: PGlite) {
    this.#connection = new PGliteConnection(pglite)
  }

  async init (): Promise<void> {}

  async acquireConnection (): Promise<DatabaseConnection> {
    this.#release = await this.#mutex.lock()
    return this.#connection
  }

  async beginTransaction (connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const parts = ['begin']
    if (settings.isolationLevel !== undefined) parts.push(`isolation level ${settings.isolationLevel}`)
    if (settings.accessMode !== undefined) parts.push(settings.accessMode)
    await connection.executeQuery(CompiledQuery.raw(parts.join(' ')))
  }

  async commitTransaction (connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction (connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async savepoint (connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdent(name)}`))
  }

  async rollbackToSavepoint (connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdent(name)}`))
  }

  async releaseSavepoint (connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdent(name)}`))
  }

  async releaseConnection (): Promise<void> {
    const release = this.#release
    this.#release = undefined
    release?.()
  }

  async destroy (): Promise<void> {}
}

function quoteIdent (name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

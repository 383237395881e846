import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** A PostgreSQL database made for one test run; `drop` removes it with whatever is left in it. */
export interface RunDatabase {
  url: string
  drop: () => Promise<void>
}

async function onServer (url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/**
 * Creates a database of its own for this run on the server of `url` (the user needs CREATEDB).
 * Test files work in schemas of it and never drop them while the run goes on: Kysely's migrator
 * reads every schema of the database (`has_schema_privilege` by name), and a schema dropped by
 * another file meanwhile failed that migration with 3F000 (measured: 303 of 2,961 reads failed
 * while another connection dropped schemas). Runs beside each other never meet either.
 */
export async function createRunDatabase (url: string): Promise<RunDatabase> {
  const name = `greenshift_test_${randomBytes(6).toString('hex')}`
  await onServer(url, `create database ${name}`)
  const own = new URL(url)
  own.pathname = `/${name}`
  return { url: own.toString(), drop: async () => { await onServer(url, `drop database if exists ${name} with (force)`) } }
}

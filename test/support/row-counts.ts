import { sql } from 'kysely'
import type { Db } from '../../src/store/schema.js'

/** Row count by table name. */
export type RowCounts = Record<string, number>

/**
 * A function counting the rows of every table of the store's schema in one statement (one
 * `count(*)` subquery each). The tables are listed once, from the catalogue, so a table a later
 * migration adds is counted too.
 */
export async function rowCounter (db: Db): Promise<() => Promise<RowCounts>> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name
  `.execute(db)
  const columns = sql.join(tables.rows.map(t => sql`(select count(*) from ${sql.table(t.name)})::int as ${sql.id(t.name)}`))
  return async () => (await sql<RowCounts>`select ${columns}`.execute(db)).rows[0] as RowCounts
}

/** The tables whose counts differ, as `table: before → after`; empty when none do. */
export function countChanges (before: RowCounts, after: RowCounts): string[] {
  return Object.keys({ ...before, ...after }).filter(t => before[t] !== after[t]).map(t => `${t}: ${before[t]} → ${after[t]}`)
}

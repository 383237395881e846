import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const run = promisify(execFile)
const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench'
/** The scratch table: `jobs`' columns and defaults, no constraints or indexes but its primary key. */
const TABLE = 'bench_single_insert'

/** What pgbench measured. */
export interface PgbenchResult {
  clients: number
  tps: number
  /** pgbench's own mean latency, ms. */
  latencyMs: number
}

/**
 * A single-row INSERT of a real `jobs` row (the newest one, with its plan) into the scratch table:
 * every value a literal as the service would send it, only the id new (gen_random_uuid). The table
 * is `like jobs including defaults` plus its primary key, so a row is as wide as a job's; the
 * service's other indexes, foreign keys, events and segments are its own cost, not PostgreSQL's.
 */
async function writeScript (url: string, dir: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`drop table if exists ${TABLE}`)
    await client.query(`create table ${TABLE} (like jobs including defaults)`)
    await client.query(`alter table ${TABLE} add primary key (id)`)
    const { rows } = await client.query<{ row: Record<string, unknown> }>('select to_jsonb(j) as row from jobs j order by submitted_at desc limit 1')
    const row = rows[0]?.row
    if (row === undefined) throw new Error('pgbench: no job to copy the width of (submit one first)')
    const columns = Object.keys(row).filter(c => c !== 'id')
    const literal = (v: unknown) => v === null ? 'NULL' : client.escapeLiteral(typeof v === 'object' ? JSON.stringify(v) : String(v))
    const insert = `insert into ${TABLE} (id, ${columns.map(c => pg.escapeIdentifier(c)).join(', ')}) values (gen_random_uuid()::text, ${columns.map(c => literal(row[c])).join(', ')});`
    const path = join(dir, 'pgbench-insert.sql')
    writeFileSync(path, insert + '\n')
    return path
  } finally {
    await client.end()
  }
}

/** Runs `pgbench -c clients -j 2 -T seconds -n -f script` on the database of `url`; the scratch table is dropped afterwards. */
export async function pgbenchInsert (url: string, dir: string, clients: number, seconds: number): Promise<PgbenchResult> {
  const script = await writeScript(url, dir)
  try {
    const { stdout } = await run(PGBENCH, ['-c', String(clients), '-j', String(Math.min(2, clients)), '-T', String(seconds), '-n', '-f', script, url], { timeout: (seconds + 60) * 1000 })
    const tps = /tps = ([\d.]+)/.exec(stdout)?.[1]
    const latency = /latency average = ([\d.]+) ms/.exec(stdout)?.[1]
    if (tps === undefined) throw new Error(`pgbench printed no tps:\n${stdout}`)
    return { clients, tps: Number(tps), latencyMs: Number(latency ?? NaN) }
  } finally {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`drop table if exists ${TABLE}`).finally(async () => { await client.end() })
  }
}

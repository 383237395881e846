import { execFile, execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { promisify } from 'node:util'
import pg from 'pg'
import { atExit } from './processes.js'

const run = promisify(execFile)
/** Debian's PostgreSQL 15; the machine's own cluster on 5432 is shared and never touched. */
const BIN = process.env.CHAOS_PG_BIN ?? '/usr/lib/postgresql/15/bin'
/** PostgreSQL refuses to run as root: every server command runs as this user. */
const OS_USER = 'postgres'

/** A PostgreSQL server of the suite's own, in a temp dir, on its own loopback port. */
export interface PrivatePostgres {
  readonly port: number
  /** The URL of database `name` on this server. */
  url: (name: string) => string
  createDatabase: (name: string) => Promise<void>
  /** `pg_ctl restart -m fast`: clients are disconnected (57P01) and the server is back when this resolves. */
  restartFast: () => Promise<void>
  /** kill -9 of the postmaster; resolves once the port refuses connections. */
  killPostmaster: () => Promise<void>
  /** `pg_ctl start`, retried while the killed server's backends are still exiting; resolves when it accepts connections. */
  start: () => Promise<void>
}

async function pgCtl (dataDir: string, args: string[], timeoutMs = 60_000): Promise<void> {
  await run('runuser', ['-u', OS_USER, '--', join(BIN, 'pg_ctl'), '-D', dataDir, ...args], { timeout: timeoutMs })
}

/** Whether the server accepts a connection and a query now. */
export async function accepting (url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * initdb in `root/pg` (owned by the postgres user), then start on `port`, listening on 127.0.0.1
 * only, its socket in the same directory. fsync is off: the suite tests the service's reaction to a
 * server that goes away, not the disk. Stopped (`-m immediate`) at exit whatever happens.
 */
export async function startPrivatePostgres (root: string, port: number): Promise<PrivatePostgres> {
  const dir = join(root, 'pg')
  const dataDir = join(dir, 'data')
  mkdirSync(dir, { recursive: true })
  chownSync(dir, Number(execFileSync('id', ['-u', OS_USER]).toString().trim()), Number(execFileSync('id', ['-g', OS_USER]).toString().trim()))
  await run('runuser', ['-u', OS_USER, '--', join(BIN, 'initdb'), '-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], { timeout: 120_000 })
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`
  const logFile = join(dir, 'server.log')
  const url = (name: string) => `postgres://postgres@127.0.0.1:${port}/${name}`
  atExit(() => stopNow(dataDir))

  const start = async (): Promise<void> => { await startServer(dataDir, logFile, options) }
  await start()
  return {
    port,
    url,
    start,
    createDatabase: async name => {
      const client = new pg.Client({ connectionString: url('postgres') })
      await client.connect()
      try {
        await client.query(`create database ${pg.escapeIdentifier(name)}`)
      } finally {
        await client.end()
      }
    },
    restartFast: async () => { await pgCtl(dataDir, ['-w', '-t', '30', '-m', 'fast', '-l', logFile, 'restart']) },
    killPostmaster: async () => {
      const pid = postmasterPid(dataDir)
      if (pid === undefined) throw new Error('no postmaster.pid: the private PostgreSQL is not running')
      process.kill(pid, 'SIGKILL')
      for (let i = 0; i < 100 && await accepting(url('postgres')); i++) await delay(100)
    }
  }
}

/** `pg_ctl start`; after a kill -9 the old backends need a moment to notice and exit, and until then start refuses. */
async function startServer (dataDir: string, logFile: string, options: string): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await pgCtl(dataDir, ['-w', '-t', '30', '-l', logFile, '-o', options, 'start'])
      return
    } catch (err) {
      if (tries >= 20) throw new Error(`pg_ctl start failed ${tries} times: ${(err as Error).message}`)
      await delay(500)
    }
  }
}

function postmasterPid (dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid')
  if (!existsSync(file)) return undefined
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** Synchronous, for the exit handler: an immediate stop, else kill -9 of the postmaster. */
function stopNow (dataDir: string): void {
  const pid = postmasterPid(dataDir)
  if (pid === undefined) return
  try {
    execFileSync('runuser', ['-u', OS_USER, '--', join(BIN, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop'], { stdio: 'ignore', timeout: 25_000 })
  } catch {
    try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
  }
}

/** Runs one query on `url` with a connection of its own (the suite's reads survive the restarts it causes). */
export async function query<T> (url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  client.on('error', () => {})
  await client.connect()
  try {
    return (await client.query(text, params)).rows as T[]
  } finally {
    await client.end().catch(() => {})
  }
}

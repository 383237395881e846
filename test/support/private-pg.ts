import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../chaos/ports.js'

/**
 * A PostgreSQL server of the test's own, in a temp directory on a free loopback port, so that a
 * test may stop, restart or kill it. Never the machine's shared server.
 */
export interface PrivatePostgres {
  url: string
  /** `pg_ctl stop -m fast` (connections are terminated with 57P01). */
  stop: () => void
  start: () => void
  /** kill -9 of the postmaster: the server vanishes without a word, as in a crash. */
  kill: () => void
  /** Stops the server if it runs and removes its directory. */
  remove: () => void
}

const BIN_ROOT = '/usr/lib/postgresql'

/** The directory of `initdb` and `pg_ctl`, or undefined when PostgreSQL's server binaries are not installed. */
export function postgresBin (): string | undefined {
  if (!existsSync(BIN_ROOT)) return undefined
  const version = readdirSync(BIN_ROOT).sort().at(-1)
  const bin = version === undefined ? undefined : join(BIN_ROOT, version, 'bin')
  return bin !== undefined && existsSync(join(bin, 'initdb')) ? bin : undefined
}

/** PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user. */
function run (bin: string, tool: string, args: string[]): void {
  const root = process.getuid?.() === 0
  const [cmd, argv] = root ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 })
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.stdout}`)
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Blocks this thread for `ms` (between checks of another process's state, which no event announces). */
function pause (ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** Checks `done` every 50 ms, for 30 s at most. */
function waitUntil (done: () => boolean, what: string): void {
  for (let i = 0; i < 600; i++) {
    if (done()) return
    pause(50)
  }
  throw new Error(`timed out waiting for ${what}`)
}

function retry (work: () => void): void {
  for (let i = 0; ; i++) {
    try {
      work()
      return
    } catch (err) {
      if (i >= 20) throw err
      pause(250)
    }
  }
}


/** initdb + pg_ctl start on a free port, trust auth, fsync off (a test's data need not survive a power cut). */
export async function startPrivatePostgres (): Promise<PrivatePostgres> {
  const bin = postgresBin()
  if (bin === undefined) throw new Error(`no PostgreSQL server binaries under ${BIN_ROOT}`)
  const dir = mkdtempSync(join(tmpdir(), 'greenshift-pg-'))
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })))
  const data = join(dir, 'data')
  const port = await freePort()
  run(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`
  // After a kill -9, the dead server's backends may hold its shared memory for a moment: retry.
  const start = (): void => { retry(() => { run(bin, 'pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']) }) }
  const running = (): boolean => existsSync(join(data, 'postmaster.pid'))
  start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: () => { run(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']) },
    kill: () => {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
      process.kill(pid, 'SIGKILL')
      waitUntil(() => !alive(pid), `postmaster ${pid} to die`)
    },
    remove: () => {
      if (running()) {
        try { run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']) } catch { /* already gone */ }
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

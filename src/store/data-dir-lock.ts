import { randomBytes } from 'node:crypto'
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'

/** Who holds an embedded data directory: written into its lock file. */
export interface LockOwner {
  pid: number
  host: string
  /** The process's start, in clock ticks since boot (Linux `/proc/<pid>/stat`), null elsewhere: tells a reused pid apart. */
  startTicks: number | null
  /** The kernel's boot id (Linux), null elsewhere: a lock from before a reboot is stale. */
  bootId: string | null
  since: string
  command: string
}

/** A data directory another greenshift process is using; the message names the directory and the holder. */
export class DataDirLockedError extends Error {
  readonly code = 'data-dir-locked'
  constructor (readonly dir: string, readonly owner: LockOwner) {
    super(`the embedded database in ${dir} is in use by another greenshift process (pid ${owner.pid} on ${owner.host}, "${owner.command}", since ${owner.since}); ` +
      'stop it first, or give this one its own GREENSHIFT_DATA_DIR')
    this.name = 'DataDirLockedError'
  }
}

const LOCK_FILE = 'greenshift.lock'
/** Directories this process holds: a pid check alone cannot tell our own lock from a stale one of a previous pid-1 container. */
const held = new Set<string>()

function readText (path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return null
  }
}

/** Field 22 of `/proc/<pid>/stat` (the command name, field 2, may hold spaces: count after its ')'). */
function startTicks (pid: number): number | null {
  const stat = readText(`/proc/${pid}/stat`)
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields?.[19])
  return Number.isFinite(ticks) ? ticks : null
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM'
  }
}

/** The kernel's boot id (Linux), null elsewhere. */
const bootId = (): string | null => readText('/proc/sys/kernel/random/boot_id')

function me (command: string): LockOwner {
  return { pid: process.pid, host: hostname(), startTicks: startTicks(process.pid), bootId: bootId(), since: new Date().toISOString(), command }
}

/**
 * Whether `owner` still runs: a lock of another host cannot be checked and counts as live (an
 * operator removes it); on this host the pid must be alive, and where Linux tells, be the same
 * process (same boot, same start time) rather than a later one that got the pid.
 */
function isLive (owner: LockOwner, dir: string): boolean {
  if (owner.host !== hostname()) return true
  if (owner.pid === process.pid) return held.has(dir)
  if (!alive(owner.pid)) return false
  const boot = bootId()
  if (owner.bootId !== null && boot !== null && owner.bootId !== boot) return false
  const ticks = startTicks(owner.pid)
  return owner.startTicks === null || ticks === null || ticks === owner.startTicks
}

function parseOwner (text: string | null): LockOwner | undefined {
  try {
    const o = JSON.parse(text ?? '') as Partial<LockOwner>
    return typeof o.pid === 'number' && typeof o.host === 'string' ? { startTicks: null, bootId: null, since: '?', command: '?', ...o } as LockOwner : undefined
  } catch {
    return undefined
  }
}

/**
 * Takes the embedded database directory `dir` for this process, exclusively: a lock file created
 * with O_EXCL, naming this process. A lock whose process is gone (killed, crashed, rebooted) is
 * taken over; a live one throws `DataDirLockedError`. Two servers on one PGlite directory would
 * each see their own copy of the data and both run the scheduler. Returns the release.
 */
export function lockDataDir (dir: string, command: string): () => void {
  const abs = resolve(dir)
  const path = join(abs, LOCK_FILE)
  const mine = JSON.stringify(me(command)) + '\n'
  for (let attempt = 0; ; attempt++) {
    try {
      // Written aside and linked into place: the lock file is never seen empty or half-written.
      const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
      writeFileSync(aside, mine, { mode: 0o644 })
      try { linkSync(aside, path) } finally { unlinkSync(aside) }
      // Two processes taking over the same stale lock at once: the one whose lock is there now holds it.
      if (readText(path) !== mine.trim()) throw lockError(abs, path)
      held.add(abs)
      return () => {
        held.delete(abs)
        try { unlinkSync(path) } catch { /* already gone */ }
      }
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST' || attempt > 0) throw err instanceof DataDirLockedError ? err : lockError(abs, path, err)
      const owner = parseOwner(readText(path))
      if (owner !== undefined && isLive(owner, abs)) throw new DataDirLockedError(abs, owner)
      unlinkSync(path)
    }
  }
}

/** Who holds the lock now, as an error; `cause` when the file names nobody. */
function lockError (dir: string, path: string, cause?: unknown): unknown {
  const owner = parseOwner(readText(path))
  return owner === undefined ? cause ?? new Error(`cannot lock ${dir}`) : new DataDirLockedError(dir, owner)
}

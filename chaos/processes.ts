import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'

/** How a process ended. */
export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A process the suite started, in a process group of its own, its output appended to `logPath`. */
export interface Proc {
  readonly name: string
  readonly pid: number
  readonly logPath: string
  /** Where this process's output starts in `logPath` (a restarted instance appends to the same file). */
  readonly logOffset: number
  readonly exited: Promise<Exit>
  /** How it ended, once it has. */
  exit: Exit | undefined
  /** Set before the suite stops or kills it on purpose; an exit without it is a crash. */
  intended: boolean
}

const live = new Set<Proc>()
const cleanups: Array<() => void> = []

/**
 * Starts `command` detached (its own process group, so a kill reaches whatever it forks) with
 * stdout and stderr appended to `logPath`. `onCrash` hears of an exit the suite did not ask for.
 */
export function startProcess (name: string, command: string, args: readonly string[], opts: {
  env: NodeJS.ProcessEnv, cwd: string, logPath: string, onCrash?: (proc: Proc, exit: Exit) => void
}): Proc {
  const fd = openSync(opts.logPath, 'a')
  const logOffset = fstatSync(fd).size
  let child: ChildProcess
  try {
    child = spawn(command, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['ignore', fd, fd] })
  } finally {
    closeSync(fd)
  }
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start ${name}: ${command}`)
  const proc: Proc = {
    name,
    pid,
    logPath: opts.logPath,
    logOffset,
    intended: false,
    exit: undefined,
    exited: new Promise<Exit>(resolve => child.once('exit', (code, signal) => resolve({ code, signal })))
  }
  live.add(proc)
  void proc.exited.then(exit => {
    proc.exit = exit
    live.delete(proc)
    if (!proc.intended) opts.onCrash?.(proc, exit)
  })
  return proc
}

/** Sends `signal` to the whole process group; one already gone is no error. */
export function signalGroup (proc: Proc, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid, signal)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

/** kill -9 of the process group, on purpose; resolves when the process is gone. */
export async function killNow (proc: Proc): Promise<Exit> {
  proc.intended = true
  signalGroup(proc, 'SIGKILL')
  return await proc.exited
}

/** SIGTERM, then SIGKILL after `graceMs`: a service closes its pools, an agent hands its job back. */
export async function stopProcess (proc: Proc, graceMs = 5_000): Promise<Exit> {
  proc.intended = true
  signalGroup(proc, 'SIGTERM')
  const exit = await Promise.race([proc.exited, delay(graceMs).then(() => undefined)])
  if (exit !== undefined) return exit
  signalGroup(proc, 'SIGKILL')
  return await proc.exited
}

/** What this process wrote to its log. */
export function logOf (proc: Proc): string {
  try {
    return readFileSync(proc.logPath).subarray(proc.logOffset).toString('utf8')
  } catch {
    return ''
  }
}

/** The last `lines` lines of a process's log, for a failure report. */
export function logTail (proc: Proc, lines = 20): string {
  return logOf(proc).trimEnd().split('\n').slice(-lines).join('\n') || '(no log)'
}

/** Registers a synchronous cleanup, run once at exit in reverse order (after every process group is killed). */
export function atExit (cleanup: () => void): void {
  cleanups.push(cleanup)
}

let cleaned = false
/** Kills every process group still alive and runs the cleanups; safe in an 'exit' handler (all synchronous). */
export function cleanUpNow (): void {
  if (cleaned) return
  cleaned = true
  for (const proc of live) {
    proc.intended = true
    signalGroup(proc, 'SIGKILL')
  }
  for (const cleanup of cleanups.reverse()) {
    try {
      cleanup()
    } catch (err) {
      process.stderr.write(`chaos: cleanup failed: ${err instanceof Error ? err.message : String(err)}\n`)
    }
  }
}

/** Cleans up on a normal exit, on SIGINT/SIGTERM/SIGHUP, and after an uncaught error. */
export function cleanUpOnExit (): void {
  process.on('exit', cleanUpNow)
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      process.stderr.write(`chaos: ${signal}: stopping every process\n`)
      process.exit(code)
    })
  }
  process.on('uncaughtException', err => {
    process.stderr.write(`chaos: ${err.stack ?? err.message}\n`)
    process.exit(1)
  })
}

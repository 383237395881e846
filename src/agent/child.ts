import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { constants } from 'node:os'

/** How a job's process ended: its exit code (a signal n as 128 + n, as shells report it) or why it never ran. */
export interface ChildExit {
  exitCode: number | null
  /** Set when the command could not be started (e.g. not found); exitCode is then null. */
  error: string | null
}

/** A running job process. */
export interface Child {
  readonly exited: Promise<ChildExit>
  /** SIGTERM to the job's process group now, SIGKILL after `graceMs` if it is still there. */
  terminate: (graceMs: number) => void
}

/** `signal` as a shell's exit status: SIGTERM (15) → 143, SIGKILL (9) → 137. */
export function signalExitCode (signal: NodeJS.Signals): number | null {
  const n = constants.signals[signal]
  return typeof n === 'number' ? 128 + n : null
}

/** Signals the whole process group `pid` leads; a group that is already gone is not an error. */
function signalGroup (pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

/**
 * Starts `command` without a shell, in a process group of its own: launchers such as torchrun
 * fork workers that must be stopped with it, and Ctrl-C on the agent's terminal must not reach the
 * job before the agent has decided how to stop it. stdout and stderr go to the agent's own, or
 * both to `logFile` (appended) when given. When the leader exits, what is left of its group gets a
 * SIGTERM: a finished job must not leave workers holding the GPUs. With `user`, the job runs under
 * that uid and gid (libuv also drops the agent's supplementary groups), which needs root.
 */
export function startChild (command: readonly string[], env: NodeJS.ProcessEnv, logFile?: string, user?: { uid: number, gid: number }): Child {
  const [file, ...args] = command
  if (file === undefined) return failed('the command is empty')
  let proc: ChildProcess
  try {
    const fd = logFile === undefined ? undefined : openSync(logFile, 'a')
    const out = fd ?? 'inherit'
    try {
      proc = spawn(file, args, { env, stdio: ['ignore', out, out], detached: true, windowsHide: true, ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }) })
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  } catch (err) {
    // spawn throws synchronously for arguments it refuses (e.g. a NUL byte), openSync for a bad log dir.
    return failed(`could not start ${JSON.stringify(file)}: ${err instanceof Error ? err.message : String(err)}`)
  }
  let killTimer: NodeJS.Timeout | undefined
  const exited = new Promise<ChildExit>(resolve => {
    proc.once('error', err => resolve({ exitCode: null, error: `could not start ${JSON.stringify(file)}: ${err.message}` }))
    proc.once('exit', (code, signal) => {
      // Workers that outlive the leader still get their SIGKILL when the grace period ends.
      killTimer?.unref()
      if (proc.pid !== undefined) signalGroup(proc.pid, 'SIGTERM')
      resolve({ exitCode: code ?? (signal === null ? null : signalExitCode(signal)), error: null })
    })
  })
  return {
    exited,
    terminate (graceMs) {
      const pid = proc.pid
      if (pid === undefined || proc.exitCode !== null || proc.signalCode !== null || killTimer !== undefined) return
      signalGroup(pid, 'SIGTERM')
      killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs)
    }
  }
}

function failed (error: string): Child {
  return { exited: Promise.resolve({ exitCode: null, error }), terminate: () => {} }
}

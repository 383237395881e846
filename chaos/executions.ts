import { existsSync, readFileSync } from 'node:fs'

/** One time a job was actually run, by the webhook receiver or by an agent's command. */
export interface Execution {
  jobId: string
  attempt: number
  /** Who ran it: `receiver`, or the agent's name and the command's pid. */
  by: string
  start: number
  /** Epoch ms when the work ended; null while it runs (or if the runner died). */
  end: number | null
}

/**
 * The agent pools' command: it appends `start <job> <attempt> <agent>:<pid> <ms>` to
 * $CHAOS_RUNS_FILE, works for `seconds`, and appends the matching `end` line. Lines are far below
 * PIPE_BUF, so concurrent appends from several agents never interleave.
 */
export function agentCommand (seconds: number): string[] {
  const line = (what: string) => `printf '${what} %s %s %s:%s %s\\n' "$GREENSHIFT_JOB_ID" "$GREENSHIFT_JOB_ATTEMPT" "$CHAOS_AGENT" "$$" "$(date +%s%3N)" >> "$CHAOS_RUNS_FILE"`
  return ['sh', '-c', `${line('start')}; sleep ${seconds}; ${line('end')}`]
}

/** The executions the agents' commands recorded in `file`. */
export function readAgentExecutions (file: string): Execution[] {
  if (!existsSync(file)) return []
  const byRun = new Map<string, Execution>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [what, jobId, attempt, by, ms] = line.trim().split(' ')
    if (jobId === undefined || attempt === undefined || by === undefined || ms === undefined) continue
    const key = `${jobId} ${attempt} ${by}`
    if (what === 'start') byRun.set(key, { jobId, attempt: Number(attempt), by, start: Number(ms), end: null })
    const run = byRun.get(key)
    if (what === 'end' && run !== undefined) run.end = Number(ms)
  }
  return [...byRun.values()]
}

/**
 * Whether a job was run twice: two executions overlapping in time (a running one counts as running
 * until now), or more than one run to completion. A new attempt after one that never finished
 * (its runner died) is the at-least-once contract, not a double run.
 */
export function ranTwice (runs: readonly Execution[]): boolean {
  if (runs.filter(r => r.end !== null).length > 1) return true
  const sorted = [...runs].sort((a, b) => a.start - b.start)
  return sorted.some((r, i) => i > 0 && (sorted[i - 1]?.end ?? Infinity) > r.start)
}

import type { Instant } from '../core/types.js'
import type { Handover } from './executor.js'
import { beginTime, marker } from './slurm-api.js'

/** A `POST /slurm/v0.0.38/job/submit` body. */
export interface SubmitBody {
  script: string
  job: {
    name: string
    partition: string
    comment: string
    time_limit: number
    environment: Record<string, string>
    current_working_directory: string
    standard_output: string
    begin_time?: string
    gpus?: string
  }
}

/** The PATH a job starts with: Slurm 22.05 rejects a submit without `environment`, and passes only that. */
const JOB_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** The exit status of a job greenshift could not turn into a command (EX_USAGE). */
export const NO_COMMAND_EXIT = 64

/** One word for bash, taken literally: single quotes, each `'` written as `'\''`. */
export function shellQuote (word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`
}

/**
 * The batch script for an argv: `exec` of the quoted words, so the job's exit status is the
 * command's. A job without a command (or with a NUL byte, which no argv can hold) gets a script that
 * says why on stderr and exits 64, so the failure shows in Slurm and in the job's output file
 * instead of the hand-over being retried for ever.
 */
export function batchScript (jobId: string, command: readonly string[] | null): string {
  const problem = command === null || command.length === 0
    ? 'has no command'
    : command.some(word => word.includes('\0')) ? 'has a NUL byte in its command' : null
  if (problem !== null) {
    const message = shellQuote(`greenshift: job ${jobId} ${problem}; nothing to run`)
    return `#!/bin/bash\necho ${message} >&2\nexit ${NO_COMMAND_EXIT}\n`
  }
  return `#!/bin/bash\nexec ${(command ?? []).map(shellQuote).join(' ')}\n`
}

/**
 * Minutes Slurm lets the job run before killing it: the expected duration plus a quarter, at least
 * 10 minutes more. Estimates run long, and a kill at the limit loses the whole run.
 */
export function timeLimitMinutes (durationMinutes: number): number {
  const minutes = Math.max(1, Math.ceil(durationMinutes))
  return minutes + Math.max(10, Math.ceil(minutes / 4))
}

/** Control characters out, at most 200 characters, never empty: Slurm shows the name in squeue. */
function jobName (name: string, jobId: string): string {
  const clean = name.replace(/\p{Cc}+/gu, ' ').trim().slice(0, 200)
  return clean === '' ? `greenshift-${jobId}` : clean
}

/**
 * The submit body for a hand-over: into `partition`, held by Slurm until the first planned segment
 * starts (omitted when that is not after `now`), asking for the job's GPUs, marked with
 * `greenshift:<job id>:<attempt>` in `comment`. Output goes to `<workDir>/greenshift-<slurm id>.out`.
 */
export function submitBody (h: Handover, o: { partition: string, workDir: string, now: Instant }): SubmitBody {
  const { job } = h
  const start = h.plan.segments[0]?.start
  const body: SubmitBody = {
    script: batchScript(job.id, job.command),
    job: {
      name: jobName(job.name, job.id),
      partition: o.partition,
      comment: marker(job.id, h.attempt),
      time_limit: timeLimitMinutes(job.durationMinutes),
      environment: { PATH: JOB_PATH, GREENSHIFT_JOB_ID: job.id, GREENSHIFT_JOB_ATTEMPT: String(h.attempt) },
      current_working_directory: o.workDir,
      standard_output: `${o.workDir.replace(/\/+$/, '')}/greenshift-%j.out`
    }
  }
  if (start !== undefined && start > o.now) body.job.begin_time = beginTime(start)
  if (job.gpus > 0) body.job.gpus = String(job.gpus)
  return body
}

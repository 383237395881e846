import type { ExecutorKind, Instant, Job, JobPlan, Pool } from '../core/types.js'

/** A job handed to its pool's executor: attempt `attempt`, planned as `plan`. */
export interface Handover {
  job: Job
  plan: JobPlan
  pool: Pool
  attempt: number
  /** The executor's reference from an earlier call for this attempt (e.g. the Slurm job id), if any. */
  ref: string | null
}

/** What a polled executor (Slurm) says about a run. Times are UTC instants. */
export interface RunReport {
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
  startedAt: Instant | null
  finishedAt: Instant | null
  exitCode: number | null
  /** Energy the executor measured, kWh at the wall (already × PUE if it accounts whole nodes). */
  energyKwh: number | null
  detail: string | null
}

/**
 * Where a pool's jobs run. Dispatch is at-least-once (a new leader repeats an unconfirmed
 * hand-over), so every method is idempotent by (job id, attempt): the executor must recognise a
 * job it already has and never start it twice. Every method takes the scheduler's `signal`, which
 * aborts when the call's time is up, and rejects with an error whose `permanent` is true when the
 * executor refuses for good (see `isPermanent`).
 */
export interface Executor {
  readonly kind: ExecutorKind
  /**
   * How long before the planned start the job is handed over. 0 for agent and webhook pools;
   * Slurm takes jobs early and holds them with `begin_time`, so it runs even if greenshift is down.
   */
  readonly leadMs: number
  /** Hands the job over; resolves with the executor's reference for it, or rejects to be retried. */
  dispatch: (h: Handover, now: Instant, signal?: AbortSignal) => Promise<{ ref: string | null }>
  /** Moves a handed-over run that has not started to begin at `start`; absent when it cannot. */
  reschedule?: (h: Handover, start: Instant, signal?: AbortSignal) => Promise<void>
  /** Cancels the run (queued or running); resolving means the executor will not run it. */
  cancel: (h: Handover, signal?: AbortSignal) => Promise<void>
  /** Polled executors report the run's state; push executors (agent, webhook) report through the API. */
  poll?: (h: Handover, signal?: AbortSignal) => Promise<RunReport>
}

/**
 * Whether an executor's error is a refusal for good: a 4xx other than 408 and 429 (a Slurm job
 * asking for GPUs on a cluster without GPU GRES answers 400, a receiver that does not take the
 * message 4xx), or a redirect, which no client here follows. Anything else (network, timeouts,
 * 5xx, 408, 429) is "not now" and is tried again.
 */
export function isPermanent (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true
}

/** Whether a non-2xx HTTP status refuses a message for good (see `isPermanent`). */
export function isPermanentStatus (status: number): boolean {
  return status >= 300 && status < 500 && status !== 408 && status !== 429
}

/** A secret by the name of its environment variable (`secretEnv`, `tokenEnv`); undefined when unset. */
export type SecretLookup = (name: string) => string | undefined

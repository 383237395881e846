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
 * job it already has and never start it twice.
 */
export interface Executor {
  readonly kind: ExecutorKind
  /**
   * How long before the planned start the job is handed over. 0 for agent and webhook pools;
   * Slurm takes jobs early and holds them with `begin_time`, so it runs even if greenshift is down.
   */
  readonly leadMs: number
  /** Hands the job over; resolves with the executor's reference for it, or rejects to be retried. */
  dispatch: (h: Handover, now: Instant) => Promise<{ ref: string | null }>
  /** Moves a handed-over run that has not started to begin at `start`; absent when it cannot. */
  reschedule?: (h: Handover, start: Instant) => Promise<void>
  /** Cancels the run (queued or running); resolving means the executor will not run it. */
  cancel: (h: Handover) => Promise<void>
  /** Polled executors report the run's state; push executors (agent, webhook) report through the API. */
  poll?: (h: Handover) => Promise<RunReport>
}

/** A secret by the name of its environment variable (`secretEnv`, `tokenEnv`); undefined when unset. */
export type SecretLookup = (name: string) => string | undefined

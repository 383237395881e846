import type { RunReport } from './executor.js'
import type { SlurmJob } from './slurm-api.js'

type RunState = RunReport['state']

/**
 * Slurm 22.05 job states (base states and the flag names `job_state` shows instead of them) → run
 * states. Requeued jobs wait again; a job whose allocation is being set up or resized has started.
 */
const STATES: Readonly<Record<string, RunState>> = {
  PENDING: 'queued',
  REQUEUED: 'queued',
  REQUEUE_HOLD: 'queued',
  REQUEUE_FED: 'queued',
  RESV_DEL_HOLD: 'queued',
  RUNNING: 'running',
  COMPLETING: 'running',
  CONFIGURING: 'running',
  SUSPENDED: 'running',
  STOPPED: 'running',
  RESIZING: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  TIMEOUT: 'failed',
  NODE_FAIL: 'failed',
  OUT_OF_MEMORY: 'failed',
  BOOT_FAIL: 'failed',
  DEADLINE: 'failed',
  PREEMPTED: 'failed',
  SPECIAL_EXIT: 'failed',
  CANCELLED: 'cancelled',
  REVOKED: 'cancelled'
}

/** The run state for a Slurm state; undefined for a state this table does not know. */
export function runState (slurmState: string): RunState | undefined {
  return Object.hasOwn(STATES, slurmState) ? STATES[slurmState] : undefined
}

/**
 * A raw wait status as a shell would report it: the exit code (`status >> 8`) of a job that
 * exited, 128 + the signal number of one that was killed (SIGKILL → 137, a cancelled running job's
 * SIGTERM → 143).
 */
export function exitCodeOf (status: number): number {
  const signal = status & 0x7f
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal
}

const JOULES_PER_KWH = 3_600_000

/**
 * kWh at the wall from the `energy=<joules>` a finished job's TRES string carries when the cluster
 * has an energy plugin (IPMI, RAPL). That energy is the allocated nodes' own, so it is scaled by the
 * site's PUE. Null when absent or 0: without a plugin Slurm reports nothing or 0, not a measurement.
 */
export function energyKwhOf (tres: string, pue: number): number | null {
  const match = /(?:^|,)energy=(\d+)(?:,|$)/.exec(tres)
  const joules = match?.[1] === undefined ? 0 : Number(match[1])
  return joules > 0 ? joules / JOULES_PER_KWH * pue : null
}

const ms = (epochSeconds: number): number | null => epochSeconds > 0 ? epochSeconds * 1000 : null

/**
 * What a Slurm job record says about the run. While pending, `start_time` is only Slurm's forecast
 * and, while running, `end_time` is only the time limit, so neither is reported as a fact; a job
 * cancelled before it got nodes never started. Throws on a state the table does not know, so the
 * poll is retried rather than a guess recorded.
 */
export function toReport (job: SlurmJob, pue: number): RunReport {
  const state = runState(job.state)
  if (state === undefined) throw new Error(`Slurm job ${job.id} is in state ${job.state}, which greenshift does not know`)
  const started = state !== 'queued' && job.nodes !== ''
  const finished = state !== 'queued' && state !== 'running'
  return {
    state,
    startedAt: started ? ms(job.startTime) : null,
    finishedAt: finished ? ms(job.endTime) : null,
    exitCode: finished && started && job.exitStatus !== null ? exitCodeOf(job.exitStatus) : null,
    energyKwh: finished ? energyKwhOf(job.tresAlloc, pue) : null,
    detail: state === 'succeeded' ? null : `Slurm job ${job.id} ${job.state}${job.reason === '' || job.reason === 'None' ? '' : ` (${job.reason})`}`
  }
}

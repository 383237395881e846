import type { Instant } from '../core/types.js'
import { AgentApiError, type AgentApi, type BeatAnswer, type Completion } from './client.js'
import type { AgentJob, Claim } from './job.js'
import type { JobUser } from './job-env.js'
import type { PowerSampler } from './power.js'
import { runJob, type BeatReport, type RunResult } from './runner.js'

/** One agent process: where it pulls from, what it may use, and how it is stopped. */
export interface AgentOptions {
  api: AgentApi
  /** The pool the token belongs to, for logs and to compare with a pool the server names. */
  pool: string
  /** Sent with every claim, e.g. `host:pid`. */
  name: string
  /** GPUs the agent hands out; null for a host without GPUs (CUDA_VISIBLE_DEVICES unset, energy not measured). */
  gpus: readonly number[] | null
  samplerFor: (gpus: readonly number[]) => PowerSampler | null
  /** Long-poll of each claim, 0..30 s. */
  waitSeconds: number
  sampleMs: number
  graceMs: number
  /** Exit after one job, or after one empty claim when `waitSeconds` is 0. */
  once: boolean
  logDir?: string | undefined
  /** The agent's environment; a job gets only the allowed part of it (`jobEnv`). */
  env: NodeJS.ProcessEnv
  /** More names of `env` jobs get (`--pass-env`). */
  passEnv?: readonly string[] | undefined
  /** Runs jobs as this account (`--run-as`). */
  user?: JobUser | undefined
  /** One line, without newline, for the operator (stderr). */
  log: (line: string) => void
  /** First SIGINT/SIGTERM: stop claiming, stop the running job, report it, exit. */
  stop: AbortSignal
  /** Second signal: give up reporting too. */
  force: AbortSignal
  now: () => Instant
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  /** How long a failing claim is retried before the loop logs it and backs off: 60 s. */
  claimBudgetMs?: number
  /** How long a completion is retried: 30 min, since a lost report turns a finished job into a re-run. */
  completeBudgetMs?: number
}

/** Without a long-poll, how long to wait between empty claims, ms: the server is not polled in a busy loop. */
const IDLE_POLL_MS = 5_000
/** The server caps `detail` at 1000 characters. */
const DETAIL_MAX = 1000

/**
 * The job's GPUs: the first `wanted` of the agent's, so a 1-GPU job on an 8-GPU host neither sees
 * nor is metered on the 7 it was not planned for. A job asking for more than the host has (the
 * claim sends the free count, so only a misconfigured server does this) gets them all.
 */
export function jobGpus (host: readonly number[] | null, wanted: number): readonly number[] | null {
  if (host === null) return null
  return host.slice(0, Math.max(0, Math.min(wanted, host.length)))
}

const message = (err: unknown): string => err instanceof Error ? err.message : String(err)

async function beat (o: AgentOptions, claim: Claim, report: BeatReport, signal: AbortSignal): Promise<BeatAnswer> {
  const { job } = claim
  try {
    return await o.api.heartbeat(job.id, { attempt: job.attempt, claim: claim.secret, ...report }, { budgetMs: claim.heartbeatMs, signal })
  } catch (err) {
    if (signal.aborted) return 'continue'
    // 404: the token's pool has no such run any more; 403: the run is not bound to this claim (it
    // was claimed before the server bound claims). Either way the job cannot be reported: stop it.
    if (err instanceof AgentApiError && (err.status === 404 || err.status === 403)) return 'superseded'
    o.log(`job ${job.id}: heartbeat failed, will retry: ${message(err)}`)
    return 'continue'
  }
}

function summary (job: AgentJob, r: RunResult): string {
  const energy = r.energyKwh === null ? 'energy not measured' : `${r.energyKwh.toPrecision(3)} kWh GPU energy from ${r.samples} samples`
  const ended = r.exitCode === null ? 'did not run' : `exit ${r.exitCode}`
  const seconds = ((r.finishedAt - r.startedAt) / 1000).toFixed(1)
  return `job ${job.id} attempt ${job.attempt} ${JSON.stringify(job.name)}: ${ended} after ${seconds} s, ${energy}${r.detail === null ? '' : ` (${r.detail})`}`
}

/** Runs a claimed job and reports it; false when the report could not be delivered. */
async function runAndReport (o: AgentOptions, claim: Claim): Promise<boolean> {
  const { job } = claim
  if (claim.pool !== null && claim.pool !== o.pool) o.log(`job ${job.id}: the token belongs to pool ${claim.pool}, not ${o.pool} as given with --pool`)
  const gpus = jobGpus(o.gpus, job.gpus)
  if (gpus !== null && gpus.length < job.gpus) {
    o.log(`job ${job.id} asks for ${job.gpus} GPU${job.gpus === 1 ? '' : 's'}; this agent has ${gpus.length === 0 ? 'none (--gpus none)' : `only ${gpus.length}`}: it runs with what there is`)
  }
  const result = await runJob({
    job,
    gpus,
    sampler: gpus === null || gpus.length === 0 ? null : o.samplerFor(gpus),
    sampleMs: o.sampleMs,
    heartbeatMs: claim.heartbeatMs,
    graceMs: o.graceMs,
    beat: async (report, signal) => await beat(o, claim, report, signal),
    stop: o.stop,
    env: o.env,
    passEnv: o.passEnv,
    user: o.user,
    logDir: o.logDir,
    now: o.now
  })
  if (result.stoppedBy === 'superseded') {
    o.log(`${summary(job, result)}; not reported`)
    return true
  }
  const end: Completion = {
    attempt: job.attempt,
    claim: claim.secret,
    exitCode: result.exitCode,
    startedAt: new Date(result.startedAt).toISOString(),
    finishedAt: new Date(result.finishedAt).toISOString(),
    energyKwh: result.energyKwh,
    samples: result.samples,
    detail: result.detail === null ? null : result.detail.slice(0, DETAIL_MAX),
    ...(result.stoppedBy === 'stop' ? { requeue: true } : {})
  }
  try {
    const answer = await o.api.complete(job.id, end, { budgetMs: o.completeBudgetMs ?? 30 * 60_000, signal: o.force })
    o.log(`${summary(job, result)}; ${answer === 'superseded' ? 'the server no longer expected this attempt' : `job ${answer.state}`}`)
    return true
  } catch (err) {
    o.log(`${summary(job, result)}; could not report it: ${message(err)}`)
    return false
  }
}

/**
 * The agent: claim (long-polling), run, report, repeat, one job at a time. Transient claim
 * failures back off (1 s doubling to 60 s) and go on; a refused token or a server without the agent
 * API ends it. Returns the exit code: 0, or 1 when it could not claim, or could not report the
 * last job before exiting.
 */
export async function runAgent (o: AgentOptions): Promise<number> {
  let failures = 0
  const gpus = o.gpus === null || o.gpus.length === 0 ? {} : { gpus: o.gpus.length }
  while (!o.stop.aborted) {
    let claim: Claim | null
    try {
      claim = await o.api.claim({ agent: o.name, waitSeconds: o.waitSeconds, ...gpus }, { budgetMs: o.claimBudgetMs ?? 60_000, signal: o.stop })
      failures = 0
    } catch (err) {
      if (o.stop.aborted) break
      const fatal = !(err instanceof AgentApiError) || !err.transient
      o.log(`cannot claim jobs of pool ${o.pool}: ${message(err)}`)
      if (fatal || o.once) return 1
      failures += 1
      await o.sleep(Math.min(60_000, 1000 * 2 ** (failures - 1)), o.stop).catch(() => {})
      continue
    }
    if (claim === null) {
      if (o.once && o.waitSeconds === 0) return 0
      if (o.waitSeconds === 0) await o.sleep(IDLE_POLL_MS, o.stop).catch(() => {})
      continue
    }
    const reported = await runAndReport(o, claim)
    if (o.once || o.stop.aborted) return reported ? 0 : 1
  }
  return 0
}

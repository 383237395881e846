import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Instant } from '../core/types.js'
import { startChild } from './child.js'
import type { BeatAnswer } from './client.js'
import type { AgentJob } from './job.js'
import { jobEnv, type JobUser } from './job-env.js'
import { EnergyMeter, type PowerSampler } from './power.js'

/** What a heartbeat carries, apart from the attempt. */
export interface BeatReport {
  progress: number | null
  powerW: number | null
  energyKwh: number | null
}

/** Everything one run needs; the agent loop builds it per claimed job. */
export interface RunContext {
  job: AgentJob
  /** The job's GPUs (CUDA_VISIBLE_DEVICES); null leaves the variable unset (a host without GPUs). */
  gpus: readonly number[] | null
  sampler: PowerSampler | null
  sampleMs: number
  heartbeatMs: number
  /** Between SIGTERM and SIGKILL when the run is stopped; a checkpointing trainer needs a while. */
  graceMs: number
  /** Sends one heartbeat (with its own retries, given up when `signal` aborts at the run's end). */
  beat: (report: BeatReport, signal: AbortSignal) => Promise<BeatAnswer>
  /** Aborts when the agent is shutting down: the job is stopped like a cancelled one. */
  stop: AbortSignal
  /** The agent's environment; the job gets only PATH, HOME, LANG and `passEnv` of it (see `jobEnv`). */
  env: NodeJS.ProcessEnv
  /** Names of the agent's environment the operator passes on to jobs (`--pass-env`). */
  passEnv?: readonly string[] | undefined
  /** The account the job runs as (`--run-as`, the agent being root); the agent's own when absent. */
  user?: JobUser | undefined
  /** Where the job's output goes (`<id>.<attempt>.log`); the agent's own stdout/stderr when absent. */
  logDir?: string | undefined
  now: () => Instant
}

/** Why the agent stopped a run before it ended by itself. */
export type StopReason = 'cancel' | 'superseded' | 'stop'

/** How a run went, as reported with `complete`. */
export interface RunResult {
  exitCode: number | null
  startedAt: Instant
  finishedAt: Instant
  energyKwh: number | null
  samples: number
  detail: string | null
  stoppedBy: StopReason | null
}

const STOP_DETAIL: Record<StopReason, string> = {
  cancel: 'cancelled by the server',
  superseded: 'the server no longer expects this attempt',
  stop: 'the agent was stopped before the job finished'
}

/** The progress a job wrote last: the file's last non-blank line, if it is a number in 0..1. */
export async function readProgress (file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => '')
  const last = text.split(/\r?\n/).map(l => l.trim()).filter(l => l !== '').at(-1)
  const value = last === undefined || !/^[0-9.eE+-]+$/.test(last) ? NaN : Number(last)
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : null
}

/** Runs `fn` every `ms` (and at once when `immediately`), never two at once; `stop()` waits for the one in flight. */
function repeat (ms: number, fn: () => Promise<void>, immediately = false): { stop: () => Promise<void> } {
  let running: Promise<void> | undefined
  const tick = () => {
    if (running !== undefined) return
    running = fn().catch(() => {}).finally(() => { running = undefined })
  }
  const timer = setInterval(tick, ms)
  if (immediately) tick()
  return {
    async stop () {
      clearInterval(timer)
      await running
    }
  }
}

/**
 * Runs one claimed job to its end: starts the command at once (the claim already marked it
 * running), samples the GPUs every `sampleMs`, heartbeats every `heartbeatMs` with progress, power
 * and energy so far, and stops the job (SIGTERM, then SIGKILL after `graceMs`) when the server
 * cancels it, answers 409, or the agent shuts down. Never throws for a job that fails.
 */
export async function runJob (ctx: RunContext): Promise<RunResult> {
  const startedAt = ctx.now()
  if (ctx.job.command === null || ctx.job.command.length === 0) {
    return { exitCode: null, startedAt, finishedAt: startedAt, energyKwh: null, samples: 0, detail: 'the job has no command to run', stoppedBy: null }
  }
  const dir = await mkdtemp(join(tmpdir(), 'greenshift-job-'))
  try {
    const progressFile = join(dir, 'progress')
    await writeFile(progressFile, '')
    // The job writes its progress there; another account could not, the directory being 0700.
    const user = ctx.user
    if (user !== undefined) for (const path of [dir, progressFile]) await chown(path, user.uid, user.gid)
    const logFile = ctx.logDir === undefined ? undefined : join(ctx.logDir, `${ctx.job.id}.${ctx.job.attempt}.log`)
    const child = startChild(ctx.job.command, jobEnv(ctx, progressFile), logFile, ctx.user)
    const meter = new EnergyMeter()
    const sample = async () => { if (ctx.sampler !== null) meter.add(await ctx.sampler.sample()) }
    // Serialised: a slow nvidia-smi must not let two readings land out of time order.
    const sampling = repeat(ctx.sampleMs, sample, true)

    let stoppedBy: StopReason | null = null
    let ended = false
    const stopRun = (why: StopReason) => {
      // A heartbeat answered after the job ended by itself does not change how it ended.
      if (stoppedBy !== null || ended) return
      stoppedBy = why
      child.terminate(ctx.graceMs)
    }
    const beats = new AbortController()
    const beating = repeat(ctx.heartbeatMs, async () => {
      const answer = await ctx.beat({ progress: await readProgress(progressFile), powerW: meter.powerW, energyKwh: meter.kwh() }, beats.signal)
      if (answer !== 'continue') stopRun(answer)
    })
    const onStop = () => stopRun('stop')
    ctx.stop.addEventListener('abort', onStop, { once: true })
    if (ctx.stop.aborted) onStop()

    const exit = await child.exited
    const finishedAt = ctx.now()
    ended = true
    ctx.stop.removeEventListener('abort', onStop)
    beats.abort()
    await Promise.all([sampling.stop(), beating.stop()])
    // One reading at the end, so the integration spans the whole run rather than stopping up to sampleMs short.
    await sample().catch(() => {})
    if (exit.error !== null) return { exitCode: null, startedAt, finishedAt, energyKwh: null, samples: 0, detail: exit.error, stoppedBy }
    return { exitCode: exit.exitCode, startedAt, finishedAt, energyKwh: meter.kwh(), samples: meter.samples, detail: stoppedBy === null ? null : STOP_DETAIL[stoppedBy], stoppedBy }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

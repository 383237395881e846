import { randomUUID } from 'node:crypto'
import type { Job, Pool } from '../../src/core/types.js'
import type { Handover } from '../../src/executors/executor.js'
import type { SlurmSpec } from '../../src/executors/slurm.js'

const MINUTE = 60_000

/** A Slurm pool over partition `partition`, PUE 1.2. */
export function slurmPool (spec: SlurmSpec): Pool {
  return { name: spec.partition, zone: 'NORTH', gpuModel: 'H100', gpuCount: 4, wattsPerGpu: 700, pue: 1.2, executor: spec, enabled: true, embodiedGPerGpuHour: null, hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null }
}

/**
 * A hand-over of a 1-GPU job planned to start at `start` on `spec`'s partition, attempt 1, no ref.
 * `over` replaces fields of the job; `id` defaults to a fresh UUID so reruns never collide.
 */
export function handover (spec: SlurmSpec, start: number, over: Partial<Job> = {}, rest: Partial<Handover> = {}): Handover {
  const job: Job = {
    id: randomUUID(),
    tenantId: 'tenant-a',
    name: 'fine-tune',
    state: 'planned',
    gpus: 1,
    durationMinutes: 30,
    deadline: start + 24 * 60 * MINUTE,
    notBefore: null,
    interruptible: false,
    minSegmentMinutes: 30,
    pools: [],
    zones: [],
    preferredPool: null,
    wattsPerGpu: null,
    energyKwh: null,
    sciUnit: 'job',
    risk: 'neutral',
    command: ['true'],
    payload: null,
    labels: {},
    refusedPools: [],
    submittedAt: start - 60 * MINUTE,
    updatedAt: start - 60 * MINUTE,
    plan: null,
    ...over
  }
  const figure = { grams: 100, signal: 'average' as const, source: 'replay', method: 'expected' as const, usesFallback: false }
  const plan = {
    pool: spec.partition,
    zone: 'NORTH',
    segments: [{ start, end: start + job.durationMinutes * MINUTE }],
    latestSafeStart: job.deadline - job.durationMinutes * MINUTE,
    energyKwh: 0.35,
    expected: figure,
    baseline: { ...figure, grams: 150, pool: spec.partition, start: job.submittedAt },
    expectedAvoidedGrams: 50,
    plannedAt: job.submittedAt
  }
  return { job: { ...job, plan }, plan, pool: slurmPool(spec), attempt: 1, ref: null, ...rest }
}

import { randomUUID } from 'node:crypto'
import type { Job, JobPlan, Pool } from '../../src/core/types.js'
import type { NewJob } from '../../src/store/jobs.js'

/** 2026-11-23 10:00 UTC. */
export const T0 = Date.UTC(2026, 10, 23, 10)
export const HOUR = 3_600_000

/** A pending job of `tenantId`, submitted at T0, with every optional field empty. */
export function newJob (tenantId: string, over: Partial<NewJob> = {}): NewJob {
  const job: Job = {
    id: randomUUID(),
    tenantId,
    name: 'fine-tune',
    state: 'pending',
    gpus: 4,
    durationMinutes: 120,
    deadline: T0 + 24 * HOUR,
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
    command: null,
    payload: null,
    labels: {},
    refusedPools: [],
    submittedAt: T0,
    updatedAt: T0,
    plan: null
  }
  return { ...job, idempotencyKey: null, requestHash: null, ...over }
}

/** A plan on `pool` over [start, start + 2 h). */
export function planOn (pool: string, start: number): JobPlan {
  const figure = { grams: 1234.5, signal: 'average' as const, source: 'replay', method: 'expected' as const, usesFallback: false }
  return {
    pool,
    zone: 'NORTH',
    segments: [{ start, end: start + 2 * HOUR }],
    latestSafeStart: T0 + 20 * HOUR,
    energyKwh: 3.2,
    expected: figure,
    baseline: { ...figure, grams: 2000, pool, start: T0 },
    expectedAvoidedGrams: 765.5,
    plannedAt: T0
  }
}

/** An enabled agent pool in zone NORTH. */
export function pool (name: string, over: Partial<Pool> = {}): Pool {
  return {
    name,
    zone: 'NORTH',
    gpuModel: 'H100',
    gpuCount: 8,
    wattsPerGpu: 700,
    pue: 1.2,
    executor: { kind: 'agent' },
    enabled: true,
    embodiedGPerGpuHour: null,
    hostWattsPerGpu: 0,
    idleWattsPerGpu: 0,
    market: null,
    ...over
  }
}

import { KNOWN_GPUS, gpuPeak, normalizedGpuName } from './gpus.js'
import { estimateWork, workTokens, type EstimatePool, type Range, type Work } from './estimate.js'

/**
 * One measured run of a kind of work, as the energy history keeps it: its IT energy (before PUE:
 * CodeCarbon measures at the machine, and a ledger's facility energy is divided by the pool's PUE),
 * its run time, the GPUs it ran on and T, the tokens it processed over all its epochs.
 */
export interface HistoryRun {
  tokens: number
  energyKwh: number
  durationMinutes: number
  gpus: number
}

/** A duration and energy of work on one pool, and what it rests on. */
export interface PoolWorkEstimate {
  pool: string
  /** As the pool names it. */
  gpuModel: string
  method: 'estimated:flops' | 'estimated:history'
  durationMinutes: Range
  /** At the facility boundary (× the pool's PUE), kWh. */
  energyKwh: Range
  /** With `estimated:history`: the measured runs behind it. */
  runs?: number
}

/**
 * What a job that gave `work` was planned with: on each pool it may use, that pool's `mid`
 * duration (whole minutes, `poolMinutes`), so a faster pool is planned with its shorter window and
 * smaller energy. `pool`, `durationMinutes` and `energyKwh` are the slowest pool's (the job's
 * `durationMinutes`, which must not exceed 31 days).
 */
export interface JobWorkEstimate {
  /** The family its history is looked up by (see `workFamily`). */
  family: string
  pool: string
  method: PoolWorkEstimate['method']
  durationMinutes: Range
  energyKwh: Range
  runs?: number
  /** Every pool the job may use, each with its own estimate. */
  pools: PoolWorkEstimate[]
  /** Pools left out because nothing could estimate the work on them. */
  excluded: Array<{ pool: string, reason: string }>
}

/** Each estimated pool's planned run time, whole minutes (its `mid`, rounded up). */
export function poolMinutes (estimate: Pick<JobWorkEstimate, 'pools'>): Record<string, number> {
  return Object.fromEntries(estimate.pools.map(p => [p.pool, Math.max(1, Math.ceil(p.durationMinutes.mid))]))
}

/** History rows used per estimate: the newest this many of a family on a GPU model. */
export const HISTORY_RUNS = 20

/** With a single measured run, the range is its figure ± this share. */
export const ONE_RUN_SPREAD = 0.1

/**
 * The family a work's history is kept and looked up under: the job's `labels.family` when it has
 * one (the user's name for "the same job again", e.g. a training recipe), else its method and model
 * parameters, `lora:7000000000`. History is also matched on the GPU model (`historyGpuModel`): the
 * same family on another GPU runs at another speed.
 */
export function workFamily (work: Pick<Work, 'method' | 'parameters'>, labels: Readonly<Record<string, string>> = {}): string {
  const label = labels.family?.trim()
  return label !== undefined && label !== '' ? label : `${work.method}:${work.parameters}`
}

/**
 * A GPU model as history keys it: the GPU table's name when the table knows it ("NVIDIA RTX A4000"
 * and "A4000" are both RTX-A4000), else the name reduced by `normalizedGpuName`. A leading count,
 * as CodeCarbon writes it ("1 x NVIDIA RTX A4000"), is dropped.
 */
export function historyGpuModel (name: string): string {
  const bare = name.replace(/^\s*\d+\s*x\s+/i, '')
  return gpuPeak(bare)?.model ?? normalizedGpuName(bare)
}

// Three significant digits, as the FLOPs estimate: the runs' spread dwarfs a fourth.
const sig = (x: number) => Number(x.toPrecision(3))

function median (xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** mid = the median rate × scale; low–high = the runs' lowest and highest, or ± ONE_RUN_SPREAD with one run. */
function rangeOf (rates: readonly number[], scale: number): Range {
  const mid = median(rates) * scale
  if (rates.length === 1) return { low: sig(mid * (1 - ONE_RUN_SPREAD)), mid: sig(mid), high: sig(mid * (1 + ONE_RUN_SPREAD)) }
  return { low: sig(Math.min(...rates) * scale), mid: sig(mid), high: sig(Math.max(...rates) * scale) }
}

/**
 * Work's duration and energy on `gpus` GPUs of a pool from measured runs of its family on the
 * pool's GPU model: the median kWh per token × T × the pool's PUE, and the median GPU-minutes per
 * token × T / gpus (energy per token does not depend on the GPU count; time divides by it). The
 * median rather than a mean keeps one odd run (a cold cache, a throttled card) from moving it.
 * Undefined without runs.
 */
export function historyEstimate (work: Work, runs: readonly HistoryRun[], pool: Pick<EstimatePool, 'pue'>, gpus: number): Pick<PoolWorkEstimate, 'durationMinutes' | 'energyKwh' | 'runs'> | undefined {
  if (runs.length === 0) return undefined
  const tokens = workTokens(work)
  return {
    durationMinutes: rangeOf(runs.map(r => r.durationMinutes * r.gpus / r.tokens), tokens / gpus),
    energyKwh: rangeOf(runs.map(r => r.energyKwh / r.tokens), tokens * pool.pue),
    runs: runs.length
  }
}

/** The estimate on one pool: from its history when there is some, else from FLOPs; a reason when neither can. */
export function poolWorkEstimate (work: Work, pool: EstimatePool & { name: string }, gpus: number, runs: readonly HistoryRun[]): PoolWorkEstimate | { reason: string } {
  const head = { pool: pool.name, gpuModel: pool.gpuModel }
  const measured = historyEstimate(work, runs, pool, gpus)
  if (measured !== undefined) return { ...head, method: 'estimated:history', ...measured }
  const e = estimateWork(work, pool, gpus)
  if (e === undefined) return { reason: `no peak FLOPS known for GPU model "${pool.gpuModel}" and no measured runs of this work on it; the table knows ${KNOWN_GPUS.join(', ')}` }
  return { ...head, method: e.method, durationMinutes: e.durationMinutes, energyKwh: e.energyKwh }
}

/**
 * The estimates of work on each of `pools` (history by `historyGpuModel`), and the one a job is
 * planned with: the longest `mid` duration. Undefined when no pool can be estimated.
 */
export function jobWorkEstimate (
  work: Work, family: string, pools: ReadonlyArray<EstimatePool & { name: string }>, gpus: number, history: ReadonlyMap<string, readonly HistoryRun[]>
): JobWorkEstimate | undefined {
  const estimated: PoolWorkEstimate[] = []
  const excluded: JobWorkEstimate['excluded'] = []
  for (const pool of pools) {
    const e = poolWorkEstimate(work, pool, gpus, history.get(historyGpuModel(pool.gpuModel)) ?? [])
    if ('reason' in e) excluded.push({ pool: pool.name, reason: e.reason })
    else estimated.push(e)
  }
  const slowest = estimated.reduce<PoolWorkEstimate | undefined>((a, b) => a === undefined || b.durationMinutes.mid > a.durationMinutes.mid ? b : a, undefined)
  if (slowest === undefined) return undefined
  return {
    family,
    pool: slowest.pool,
    method: slowest.method,
    durationMinutes: slowest.durationMinutes,
    energyKwh: slowest.energyKwh,
    ...(slowest.runs === undefined ? {} : { runs: slowest.runs }),
    pools: estimated,
    excluded
  }
}

import { labelsOf, type Labels } from './ledger-price.js'
import { overlapMs } from './report-periods.js'
import { HOUR_MS, type IntensityPoint, type Interval, type Pool, type Signal } from './types.js'

/** GPUs of a pool held by one attempt of a job over [start, end) (a running attempt: until now). */
export interface Allocation extends Interval {
  pool: string
  gpus: number
}

/** A zone's stored actual intensity over a span: points sorted and without overlaps, gCO2e/kWh. */
export interface ZoneActuals {
  signal: Signal
  /** What the points count, as stored; the defaults of the signal when absent. */
  labels?: Labels | undefined
  /** The version of the points (a file's hash, a fetch time), when there are any. */
  version?: string | undefined
  points: readonly IntensityPoint[]
  /** The sources of the points, e.g. `csv:north.csv`. */
  sources: readonly string[]
}

/**
 * The idle power of one pool over one span: the GPU-hours no attempt held, at the pool's idle
 * watts × PUE, priced on the zone's time-weighted average actual intensity over the span.
 * Charged to the operator, never to a tenant's jobs.
 */
export interface IdleRow extends Labels {
  pool: string
  zone: string
  /** What was measured: the bucket up to now. */
  span: Interval
  unallocatedGpuHours: number
  /** Facility energy, kWh. */
  energyKwh: number
  /** Time-weighted average of the actual intensity the span has, gCO2e/kWh; null when it has none. */
  gPerKwh: number | null
  grams: number | null
  /** `actual:<sources>`, or null without actuals. */
  source: string | null
  /** True when actuals do not cover the whole span (the average rests on the part they cover). */
  provisional: boolean
}

/** The idle row of `pool` over `span`, given every attempt's allocation and the zone's actuals over the span. */
export function idleRow (
  pool: Pick<Pool, 'name' | 'zone' | 'gpuCount' | 'idleWattsPerGpu' | 'pue'>, span: Interval, allocations: readonly Allocation[], actuals: ZoneActuals
): IdleRow {
  const held = allocations.filter(a => a.pool === pool.name).reduce((ms, a) => ms + a.gpus * overlapMs(a, span), 0)
  // More held than the pool has (a shrunk pool, overlapping re-plans) leaves nothing idle, never less.
  const unallocatedGpuHours = Math.max(0, pool.gpuCount * (span.end - span.start) - held) / HOUR_MS
  const energyKwh = unallocatedGpuHours * pool.idleWattsPerGpu / 1000 * pool.pue
  let coveredMs = 0
  let weighted = 0
  for (const p of actuals.points) {
    const ms = overlapMs(p, span)
    coveredMs += ms
    weighted += p.gPerKwh * ms
  }
  const gPerKwh = coveredMs > 0 ? weighted / coveredMs : null
  return {
    pool: pool.name,
    zone: pool.zone,
    span,
    ...(actuals.labels ?? labelsOf({ signal: actuals.signal })),
    unallocatedGpuHours,
    energyKwh,
    gPerKwh,
    grams: gPerKwh === null ? null : energyKwh * gPerKwh,
    source: actuals.sources.length > 0 ? `actual:${actuals.sources.join('+')}${actuals.version === undefined ? '' : `@${actuals.version}`}` : null,
    provisional: coveredMs < span.end - span.start
  }
}

import { covers, integral, prepare } from './series.js'
import { HOUR_MS, type Interval, type Pool, type Series } from './types.js'

/** Thrown when emissions are asked for time the series has no point for. Code `UNCOVERED_INTERVAL`. */
export class UncoveredIntervalError extends Error {
  readonly code = 'UNCOVERED_INTERVAL'
  readonly zone: string
  readonly interval: Interval
  constructor (zone: string, interval: Interval) {
    super(`series for zone ${zone} has no intensity for part of [${new Date(interval.start).toISOString()}, ${new Date(interval.end).toISOString()})`)
    this.name = 'UncoveredIntervalError'
    this.zone = zone
    this.interval = interval
  }
}

/** kWh of a run: gpus × W × hours / 1000 × pue. 300 W × 1 GPU × 240 h × pue 1 = 72 kWh. */
export function energyKwh (gpus: number, wattsPerGpu: number, pue: number, durationMs: number): number {
  return gpus * wattsPerGpu * (durationMs / HOUR_MS) / 1000 * pue
}

/**
 * Grams CO2e from an integral in g·ms/kWh (see `integral`) at a constant `kw`:
 * g·ms/kWh × kW = g·ms/h, and 1 h = 3.6e6 ms.
 */
export function gramsFromIntegral (integralGMsPerKwh: number, kw: number): number {
  return integralGMsPerKwh * kw / HOUR_MS
}

/**
 * Grams CO2e of drawing `kw` over `segments`: Σ kW × overlapHours × gPerKwh, exact over partial
 * points. Throws `UncoveredIntervalError` if a segment covers time the series has no point for.
 * 0.694 kWh in one hour at 82.5 g/kWh is 57.3 g.
 */
export function gramsOver (series: Series, segments: readonly Interval[], kw: number): number {
  const p = prepare(series)
  let total = 0
  for (const s of segments) {
    if (!covers(p, s.start, s.end)) throw new UncoveredIntervalError(series.zone, { start: s.start, end: s.end })
    total += integral(p, s.start, s.end)
  }
  return gramsFromIntegral(total, kw)
}

/** The parts of a job request that fix its power draw. */
export interface PowerRequest {
  gpus: number
  durationMs: number
  wattsPerGpu?: number | undefined
  /** The job's whole IT energy (GPUs and host) over `durationMs`, kWh, before PUE. */
  energyKwh?: number | undefined
}

/** The parts of a pool its power model rests on. */
export type PowerPool = Pick<Pool, 'wattsPerGpu' | 'pue'> & { hostWattsPerGpu?: number | undefined }

/** A run's power at the facility boundary (IT × PUE), kW, split into its GPUs' and its host's. */
export interface PowerSplit {
  gpuKw: number
  hostKw: number
}

/**
 * A job's power on a pool: gpus × (job's or pool's W per GPU) × PUE for the GPUs, and
 * gpus × `hostWattsPerGpu` × PUE for the host. A job's `energyKwh` is its whole IT energy, spread
 * over its duration and split between GPUs and host in the pool's proportions, then × PUE, exactly
 * as watts are. 8 GPUs × 400 W × PUE 1.2 = 3.84 kW.
 */
export function powerSplit (req: PowerRequest, pool: PowerPool): PowerSplit {
  const host = pool.hostWattsPerGpu ?? 0
  if (req.energyKwh !== undefined) {
    const itKw = req.energyKwh / (req.durationMs / HOUR_MS)
    const gpuShare = pool.wattsPerGpu / (pool.wattsPerGpu + host)
    return { gpuKw: itKw * gpuShare * pool.pue, hostKw: itKw * (1 - gpuShare) * pool.pue }
  }
  return { gpuKw: req.gpus * (req.wattsPerGpu ?? pool.wattsPerGpu) * pool.pue / 1000, hostKw: req.gpus * host * pool.pue / 1000 }
}

/** A job's whole power on a pool at the facility boundary, kW (see `powerSplit`). */
export function jobPowerKw (req: PowerRequest, pool: PowerPool): number {
  const { gpuKw, hostKw } = powerSplit(req, pool)
  return gpuKw + hostKw
}

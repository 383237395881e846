import type { IntensityPoint } from '../core/types.js'

/** Deterministic PRNG (mulberry32): the same seed gives the same noisy series on every machine. */
export function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal sampler (Box–Muller) over `uniform`. */
function normal (uniform: () => number): () => number {
  return () => {
    // 1 − u is in (0, 1], so the log is finite.
    const r = Math.sqrt(-2 * Math.log(1 - uniform()))
    return r * Math.cos(2 * Math.PI * uniform())
  }
}

/** Time-weighted mean of a series, g/kWh. */
export function meanIntensity (points: readonly IntensityPoint[]): number {
  let sum = 0
  let ms = 0
  for (const p of points) {
    sum += p.gPerKwh * (p.end - p.start)
    ms += p.end - p.start
  }
  return ms > 0 ? sum / ms : 0
}

/**
 * The series a planner sees under forecast error: each point plus independent Gaussian noise of
 * standard deviation `pct` % of the series' mean, so 5 % on DE 2020 (mean 313 g/kWh) is σ ≈ 15.7
 * g/kWh at every point. Values are not clipped at 0:
 * clipping would bias the error upwards. Same seed, same noise.
 */
export function withNoise (points: readonly IntensityPoint[], pct: number, seed: number): IntensityPoint[] {
  const sigma = pct / 100 * meanIntensity(points)
  const draw = normal(rng(seed))
  return points.map(p => ({ start: p.start, end: p.end, gPerKwh: p.gPerKwh + sigma * draw() }))
}

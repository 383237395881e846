import type { Instant, IntensityPoint } from '../src/core/types.js'

/**
 * The comparison method, as the Carbon Aware SDK computes its best window: for every candidate start
 * on the data's own grid, a time-weighted average over the window is recomputed from scratch by
 * walking the points it overlaps — O(n·w). Written here only to measure against.
 */
export function rollingAverageBest (points: IntensityPoint[], earliest: Instant, latestStart: Instant, durationMs: number): { start: Instant, average: number } | undefined {
  let best: { start: Instant, average: number } | undefined
  for (let i = 0; i < points.length; i++) {
    const start = Math.max(earliest, points[i]!.start)
    if (start > latestStart) break
    if (points[i]!.end <= earliest) continue
    const end = start + durationMs
    let weighted = 0
    let covered = 0
    for (let j = i; j < points.length && points[j]!.start < end; j++) {
      const p = points[j]!
      const overlap = Math.min(end, p.end) - Math.max(start, p.start)
      if (overlap > 0) { weighted += p.gPerKwh * overlap; covered += overlap }
    }
    if (covered < durationMs) break
    const average = weighted / covered
    if (best === undefined || average < best.average) best = { start, average }
  }
  return best
}

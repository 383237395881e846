import { HOUR_MS, type Instant, type IntensityPoint, type Interval, type Series } from './types.js'

const DAY_MS = 24 * HOUR_MS

/**
 * Extends a series to `until` with a labelled fallback when its last point ends earlier: the last
 * 24 h of points repeated, shifted by whole days (a series shorter than 24 h repeats all it has,
 * cyclically by its own span). `fallbackFrom` is set to the old end (kept if already set). Gaps
 * inside the repeated profile are filled with the value before them, cyclically, so the fallback
 * itself has no holes. A series without points, or one already reaching `until`, comes back as is.
 * Expects sorted, non-overlapping points (the `Series` contract). Pure.
 */
export function withFallback (series: Series, until: Instant): Series {
  const points = series.points
  const first = points[0]
  const last = points.at(-1)
  if (first === undefined || last === undefined || last.end >= until) return series
  const lastEnd = last.end
  const period = Math.min(DAY_MS, lastEnd - first.start)
  const profile = profileOf(points, lastEnd - period, lastEnd)
  const extra: IntensityPoint[] = []
  for (let shift = period; lastEnd + shift - period < until; shift += period) {
    for (const p of profile) {
      const start = p.start + shift
      if (start >= until) break
      extra.push({ start, end: Math.min(p.end + shift, until), gPerKwh: p.gPerKwh })
    }
  }
  return { ...series, points: [...points, ...extra], fallbackFrom: series.fallbackFrom ?? lastEnd }
}

/** The points of [from, to) clipped to it, each carried forward over the gap after it (cyclically). */
function profileOf (points: readonly IntensityPoint[], from: Instant, to: Instant): IntensityPoint[] {
  const clipped = points.filter(p => p.end > from)
  const out = clipped.map((p, i) => ({
    start: Math.max(p.start, from),
    end: clipped[i + 1]?.start ?? to,
    gPerKwh: p.gPerKwh
  }))
  const head = out[0]
  const tail = out.at(-1)
  // The stretch before the first point follows the profile's last point in the previous cycle.
  if (head !== undefined && tail !== undefined && head.start > from) out.unshift({ start: from, end: head.start, gPerKwh: tail.gPerKwh })
  return out
}

/**
 * Fills the holes of a series from `from` on: each gap takes the value of the point before it, and
 * time between `from` and the first point takes the first point's value. Returns the filled series
 * and the intervals that were filled (so a plan touching them can be labelled as using a fallback).
 * A series without points comes back as is. Pure.
 */
export function fillGaps (series: Series, from: Instant): { series: Series, filled: Interval[] } {
  const points = series.points
  const first = points[0]
  if (first === undefined) return { series, filled: [] }
  const filled: Interval[] = []
  const out: IntensityPoint[] = []
  if (from < first.start) {
    filled.push({ start: from, end: first.start })
    out.push({ start: from, end: first.start, gPerKwh: first.gPerKwh })
  }
  let prev: IntensityPoint | undefined
  for (const p of points) {
    if (prev !== undefined && p.start > prev.end) {
      filled.push({ start: prev.end, end: p.start })
      out.push({ start: prev.end, end: p.start, gPerKwh: prev.gPerKwh })
    }
    out.push(p)
    prev = p
  }
  return filled.length === 0 ? { series, filled } : { series: { ...series, points: out }, filled }
}

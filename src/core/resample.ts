import { normalize } from './series.js'
import type { Instant, IntensityPoint } from './types.js'

/** A stored point and the instant of the fetch that brought it. */
export interface FetchedPoint extends IntensityPoint {
  fetchedAt: Instant
}

/** Cells [origin + k × step, origin + (k + 1) × step) for every integer k; `step` in ms. */
export interface Grid {
  origin: Instant
  step: number
}

/**
 * Points of several fetches (sources, resolutions) merged into one non-overlapping series: each
 * instant takes the point of the newest fetch covering it (equal `fetchedAt`: the later in the
 * input). A point outvoted over part of its span comes back cut to the rest, as a copy keeping its
 * other fields (source, signal); uncovered time stays a gap. Sorted by start. Pure; O(n log n + n·k)
 * for k points covering one instant (a handful: one per resolution and fetch edge).
 */
export function newestCovering<T extends FetchedPoint> (points: readonly T[]): T[] {
  const valid = points.map((p, i) => ({ p, i })).filter(({ p }) => p.end > p.start).sort((a, b) => a.p.start - b.p.start)
  const bounds = [...new Set(valid.flatMap(({ p }) => [p.start, p.end]))].sort((a, b) => a - b)
  const out: T[] = []
  let active: typeof valid = []
  let next = 0
  let lastIndex = -1
  for (let b = 0; b + 1 < bounds.length; b++) {
    const at = bounds[b]!
    const until = bounds[b + 1]!
    active = active.filter(({ p }) => p.end > at)
    while (next < valid.length && valid[next]!.p.start <= at) active.push(valid[next++]!)
    const winner = newest(active)
    if (winner === undefined) continue
    const last = out.at(-1)
    if (last !== undefined && winner.i === lastIndex && last.end === at) last.end = until
    else out.push({ ...winner.p, start: at, end: until })
    lastIndex = winner.i
  }
  return out
}

/** A merged point's version: its data's own (a file's content hash), or null when its fetch is the version. */
export interface VersionedPoint extends FetchedPoint {
  version: string | null
}

/**
 * The version of a series resting on `points` (merged, e.g. by `newestCovering`): each content hash
 * once, in order of first appearance, and for points whose fetch is the version (API answers) the
 * newest such fetch's instant, ISO 8601 UTC, where the first of them appears; joined with `+` like
 * sources. Undefined without points. Pure.
 */
export function versionOf (points: readonly VersionedPoint[]): string | undefined {
  const newestFetch = points.reduce((t, p) => p.version === null ? Math.max(t, p.fetchedAt) : t, -Infinity)
  const fetchTime = Number.isFinite(newestFetch) ? new Date(newestFetch).toISOString() : undefined
  const parts = [...new Set(points.map(p => p.version ?? fetchTime ?? ''))]
  return parts.length === 0 ? undefined : parts.join('+')
}

/** The entry of the newest fetch; equal fetch instants: the later in the input. */
function newest<T extends FetchedPoint> (entries: ReadonlyArray<{ p: T, i: number }>): { p: T, i: number } | undefined {
  let best: { p: T, i: number } | undefined
  for (const e of entries) {
    if (best === undefined || e.p.fetchedAt > best.p.fetchedAt || (e.p.fetchedAt === best.p.fetchedAt && e.i > best.i)) best = e
  }
  return best
}

/**
 * The grid a set of points lies on: its most common point length (ties: the longer), from the start
 * of the first point of that length. Edge points clipped to a fetch's range are shorter and rarer,
 * so they never set the step. Undefined without points.
 */
export function gridOf (points: readonly IntensityPoint[]): Grid | undefined {
  const counts = new Map<number, number>()
  for (const p of points) if (p.end > p.start) counts.set(p.end - p.start, (counts.get(p.end - p.start) ?? 0) + 1)
  let step: number | undefined
  for (const [length, n] of counts) {
    const best = step === undefined ? 0 : counts.get(step) ?? 0
    if (step === undefined || n > best || (n === best && length > step)) step = length
  }
  const first = points.find(p => p.end - p.start === step)
  return step === undefined || first === undefined ? undefined : { origin: first.start, step }
}

/**
 * The grid of the newest fetch among `points`. Why the newest: it is what planning trusts most, so
 * its own points pass through unchanged; older finer points are averaged onto it (time-weighted)
 * and older coarser ones split (which loses nothing). After a fall from a 30-minute provider to an
 * hourly one the grid is hourly; when the 30-minute provider answers again, 30 minutes.
 */
export function newestGrid (points: readonly FetchedPoint[]): Grid | undefined {
  const newest = points.reduce((t, p) => Math.max(t, p.fetchedAt), -Infinity)
  return gridOf(points.filter(p => p.fetchedAt === newest))
}

interface Cell { index: number, weighted: number, covered: number, value: number | undefined, stretches: IntensityPoint[] }

/**
 * Sorted, non-overlapping `points` on `grid`: each cell holds the time-weighted mean of the points
 * overlapping it, over the stretches of the cell they cover (a gap stays a gap, a clipped edge stays
 * clipped). So every integral over whole cells is exact, and over any span wherever points already
 * align with the grid (then the output equals the input). Pure; O(n + cells).
 */
export function resample (points: readonly IntensityPoint[], grid: Grid): IntensityPoint[] {
  const cells: Cell[] = []
  for (const p of points) {
    for (let from = p.start; from < p.end;) {
      const index = Math.floor((from - grid.origin) / grid.step)
      const until = Math.min(p.end, grid.origin + (index + 1) * grid.step)
      let cell = cells.at(-1)
      if (cell?.index !== index) cells.push(cell = { index, weighted: 0, covered: 0, value: p.gPerKwh, stretches: [] })
      cell.weighted += p.gPerKwh * (until - from)
      cell.covered += until - from
      // One value over the whole cell is kept as it is: (g × ms) / ms may round.
      if (cell.value !== p.gPerKwh) cell.value = undefined
      const last = cell.stretches.at(-1)
      if (last !== undefined && last.end === from) last.end = until
      else cell.stretches.push({ start: from, end: until, gPerKwh: 0 })
      from = until
    }
  }
  return cells.flatMap(c => c.stretches.map(s => ({ ...s, gPerKwh: c.value ?? c.weighted / c.covered })))
}

/**
 * One provider answer as one series on one grid: checked (`normalize`: finite, not reversed, no
 * overlaps; throws `InvalidSeriesError`) and resampled onto its own most common resolution, so a
 * single fetch never stores mixed resolutions. Pure.
 */
export function oneResolution (points: readonly IntensityPoint[]): IntensityPoint[] {
  const sorted = normalize(points)
  const grid = gridOf(sorted)
  return grid === undefined ? sorted : resample(sorted, grid)
}

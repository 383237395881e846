// Where each job sits on its pool's lane: pure, so it is tested without a browser
// (test/web/timeline-layout.test.ts). A lane is the pool's GPUs stacked upwards; a job is a box as
// wide as its time and as tall as its GPUs, put at the lowest GPU offset free for its whole span.

/** What a box shows: a planned segment, a run still going, or a run that ended. */
export type BarKind = 'planned' | 'running' | 'finished'

export interface Bar {
  id: string
  name: string
  state: string
  kind: BarKind
  pool: string
  /** Epoch ms, [start, end). */
  start: number
  end: number
  gpus: number
}

export interface Placed extends Bar {
  /** The first GPU the box covers; offset + gpus beyond the pool's capacity is an overbooking. */
  offset: number
}

const overlaps = (a: { start: number, end: number }, b: { start: number, end: number }) => a.start < b.end && b.start < a.end

/**
 * First fit in start order: each bar takes the lowest offset (0, or the top of a bar it overlaps in
 * time) where it collides with no bar already placed. Bars of one job never collide with themselves
 * in time (a job's segments do not overlap), so a job keeps one offset only if it fits there.
 */
export function pack (bars: readonly Bar[]): Placed[] {
  const placed: Placed[] = []
  const sorted = [...bars].sort((a, b) => a.start - b.start || b.gpus - a.gpus || a.id.localeCompare(b.id))
  for (const bar of sorted) {
    const rivals = placed.filter(p => overlaps(p, bar))
    const candidates = [0, ...rivals.map(r => r.offset + r.gpus)].sort((a, b) => a - b)
    const offset = candidates.find(o => rivals.every(r => o + bar.gpus <= r.offset || r.offset + r.gpus <= o)) ?? 0
    placed.push({ ...bar, offset })
  }
  return placed
}

/** Clips bars to [from, to); bars wholly outside are dropped. */
export function clip (bars: readonly Bar[], from: number, to: number): Bar[] {
  return bars.filter(b => b.end > from && b.start < to).map(b => ({ ...b, start: Math.max(b.start, from), end: Math.min(b.end, to) }))
}

/** The most GPUs in use at once among `bars` (their peak overlap), for the lane's capacity note. */
export function peakGpus (bars: readonly Bar[]): number {
  const edges = bars.flatMap(b => [[b.start, b.gpus], [b.end, -b.gpus]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let now = 0
  let peak = 0
  for (const [, d] of edges) {
    now += d
    peak = Math.max(peak, now)
  }
  return peak
}

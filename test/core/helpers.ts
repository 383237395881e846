import fc from 'fast-check'
import type { IntensityPoint, Interval, PlanRequest, Pool, Series, Signal } from '../../src/core/types.js'

/** 2026-01-01 00:00 UTC: every fixture counts from here. */
export const T0 = Date.UTC(2026, 0, 1)
export const MIN = 60_000
export const HOUR = 3_600_000

/** A series of consecutive points of `stepMs` each from `start`, one per value. */
export function steps (values: number[], stepMs = HOUR, start = T0, signal: Signal = 'average'): Series {
  return { zone: 'Z', signal, source: 'test', points: values.map((g, i) => ({ start: start + i * stepMs, end: start + (i + 1) * stepMs, gPerKwh: g })) }
}

export function seriesOf (points: IntensityPoint[], signal: Signal = 'average'): Series {
  return { zone: 'Z', signal, source: 'test', points }
}

export function pool (name: string, over: Partial<Pool> = {}): Pool {
  return { name, zone: `zone-${name}`, gpuModel: 'A100', gpuCount: 8, wattsPerGpu: 500, pue: 1, executor: { kind: 'agent' }, enabled: true, embodiedGPerGpuHour: null, hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null, ...over }
}

export function request (over: Partial<PlanRequest> = {}): PlanRequest {
  return { gpus: 1, durationMs: HOUR, earliestStart: T0, deadline: T0 + 6 * HOUR, interruptible: false, minSegmentMs: 0, resumeOverheadMs: 0, pools: ['a'], ...over }
}

/** Σ g × overlapMs over [a, b), point by point: the reference the prefix sums are checked against. */
export function bruteIntegral (points: readonly IntensityPoint[], a: number, b: number): number {
  let sum = 0
  for (const p of points) sum += p.gPerKwh * Math.max(0, Math.min(b, p.end) - Math.max(a, p.start))
  return sum
}

/** True when every minute of [a, b) lies in some point (inputs on a 1-minute grid). */
export function bruteCovered (points: readonly IntensityPoint[], a: number, b: number): boolean {
  for (let t = a; t < b; t += MIN) if (!points.some(p => p.start <= t && t < p.end)) return false
  return true
}

export function meets (x: Interval, ys: readonly Interval[]): boolean {
  return ys.some(y => x.start < y.end && y.start < x.end)
}

/**
 * Points on a 1-minute grid from `start`: lengths 1–60 min, integer intensities 0–500 (so every
 * integral is an exact integer in float64), and an occasional gap when `gaps` is set.
 */
export function pointsArb (start: number, gaps: boolean, maxPoints = 30): fc.Arbitrary<IntensityPoint[]> {
  const piece = fc.record({ len: fc.integer({ min: 1, max: 60 }), gap: gaps ? fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 30 })) : fc.constant(0), g: fc.integer({ min: 0, max: 500 }) })
  return fc.array(piece, { minLength: 1, maxLength: maxPoints }).map(pieces => {
    const out: IntensityPoint[] = []
    let t = start
    for (const p of pieces) {
      t += p.gap * MIN
      out.push({ start: t, end: t + p.len * MIN, gPerKwh: p.g })
      t += p.len * MIN
    }
    return out
  })
}

/** Intervals on a 1-minute grid within [start, start + spanMin). */
export function intervalsArb (start: number, spanMin: number, maxCount = 4): fc.Arbitrary<Interval[]> {
  return fc.array(fc.record({ at: fc.integer({ min: 0, max: spanMin }), len: fc.integer({ min: 1, max: 90 }) }), { maxLength: maxCount })
    .map(xs => xs.map(x => ({ start: start + x.at * MIN, end: start + (x.at + x.len) * MIN })))
}

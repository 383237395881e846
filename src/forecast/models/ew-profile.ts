import { HOUR_MS, type Hourly } from '../model.js'
import type { PointForecaster } from '../bands.js'

export interface ProfileOptions {
  /** Days of history the profile reads. */
  days: number
  /** Weight of each older day relative to the next newer: the profile's memory. */
  decay: number
  /** Per hour ahead, how much of the last hours' departure from the profile is kept. */
  persistence: number
  /** Whether each day of the week keeps its own level (weekends are cleaner where demand drops). */
  weekly: boolean
}

const hourOf = (t: number) => Math.floor(t / HOUR_MS) % 24
const weekdayOf = (t: number) => new Date(t).getUTCDay()

/**
 * An exponentially weighted daily profile with a level correction. Each hour of the day is the
 * weighted mean of that hour over the last `days` days, newer days weighing more; optionally scaled
 * by its day of the week's recent ratio to the profile; then the last three hours' departure from
 * the profile is carried forward, fading by `persistence` per hour.
 */
export function ewProfile (o: ProfileOptions): PointForecaster {
  return (history: Hourly, origin: number, hours: number): number[] => {
    const n = history.values.length
    const from = Math.max(0, n - o.days * 24)
    const sum = new Array<number>(24).fill(0)
    const weight = new Array<number>(24).fill(0)
    for (let i = n - 1; i >= from; i--) {
      const v = history.values[i] as number
      if (!Number.isFinite(v)) continue
      const w = o.decay ** Math.floor((n - 1 - i) / 24)
      const hod = hourOf(history.start + i * HOUR_MS)
      sum[hod] = (sum[hod] as number) + w * v
      weight[hod] = (weight[hod] as number) + w
    }
    const mean = sum.reduce((a, b) => a + b, 0) / Math.max(1e-9, weight.reduce((a, b) => a + b, 0))
    const profile = sum.map((s, h) => (weight[h] as number) > 0 ? s / (weight[h] as number) : mean)
    const week = o.weekly ? weekdayRatios(history, profile, from) : new Array<number>(7).fill(1)
    const expected = (t: number) => (profile[hourOf(t)] as number) * (week[weekdayOf(t)] as number)
    let level = 0
    let seen = 0
    for (let i = n - 1; i >= Math.max(0, n - 3); i--) {
      const v = history.values[i] as number
      if (!Number.isFinite(v)) continue
      level += v - expected(history.start + i * HOUR_MS)
      seen++
    }
    level = seen > 0 ? level / seen : 0
    const last = history.start + n * HOUR_MS
    const out: number[] = []
    for (let h = 0; h < hours; h++) {
      const t = origin + h * HOUR_MS
      const ahead = Math.max(1, Math.round((t - last) / HOUR_MS) + 1)
      out.push(Math.max(0, expected(t) + level * o.persistence ** ahead))
    }
    return out
  }
}

/** Each day of the week's mean ratio to the profile over the window, shrunk halfway to 1. */
function weekdayRatios (history: Hourly, profile: number[], from: number): number[] {
  const sum = new Array<number>(7).fill(0)
  const count = new Array<number>(7).fill(0)
  for (let i = from; i < history.values.length; i++) {
    const v = history.values[i] as number
    const t = history.start + i * HOUR_MS
    const p = profile[hourOf(t)] as number
    if (!Number.isFinite(v) || !(p > 0)) continue
    const d = weekdayOf(t)
    sum[d] = (sum[d] as number) + v / p
    count[d] = (count[d] as number) + 1
  }
  return sum.map((s, d) => (count[d] as number) > 0 ? 0.5 + 0.5 * s / (count[d] as number) : 1)
}

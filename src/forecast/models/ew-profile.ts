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
  /**
   * How much a day of the other kind counts in an hour's profile, weekdays against Saturdays and
   * Sundays: 1 (the default) makes one profile of all days, 0.5 a weekday's and a weekend day's
   * profile each leaning half as much on the other kind of day.
   */
  otherDayType?: number
  /** The last hours whose departure from the profile is carried forward; 3 unless given. */
  levelHours?: number
  /**
   * Whether the departure is carried as a ratio to the profile (a windy spell lowers the whole
   * shape in proportion) rather than as g/kWh added to it (the default).
   */
  relativeLevel?: boolean
}

const DAY_MS = 24 * HOUR_MS
const hourOf = (t: number) => Math.floor(t / HOUR_MS) % 24
/** 0 Sunday … 6 Saturday, as Date's getUTCDay (1970-01-01 was a Thursday). */
const weekdayOf = (t: number) => ((Math.floor(t / DAY_MS) + 4) % 7 + 7) % 7
const isWeekend = (t: number) => { const d = weekdayOf(t); return d === 0 || d === 6 }

/**
 * An exponentially weighted daily profile with a level correction. Each hour of the day is the
 * weighted mean of that hour over the last `days` days, newer days weighing more (and, with
 * `otherDayType` below 1, days of the target's kind, weekday or weekend, more than the others);
 * optionally scaled by its day of the week's recent ratio to the profile; then the last hours'
 * departure from the profile is carried forward, fading by `persistence` per hour.
 */
export function ewProfile (o: ProfileOptions): PointForecaster {
  const other = o.otherDayType ?? 1
  const levelHours = o.levelHours ?? 3
  return (history: Hourly, origin: number, hours: number): number[] => {
    const n = history.values.length
    const from = Math.max(0, n - o.days * 24)
    const byDayType = other < 1
    // One profile, or a weekday's (index 0) and a weekend day's (index 1).
    const profiles = (byDayType ? [false, true] : [undefined]).map(weekend => profileOf(history, from, o.decay, weekend, other))
    const base = (t: number) => (profiles[byDayType && isWeekend(t) ? 1 : 0] as number[])[hourOf(t)] as number
    const week = o.weekly ? weekdayRatios(history, base, from) : new Array<number>(7).fill(1)
    const expected = (t: number) => base(t) * (week[weekdayOf(t)] as number)
    let level = 0
    let seen = 0
    for (let i = n - 1; i >= Math.max(0, n - levelHours); i--) {
      const v = history.values[i] as number
      const e = expected(history.start + i * HOUR_MS)
      if (!Number.isFinite(v) || (o.relativeLevel === true && !(e > 0))) continue
      level += o.relativeLevel === true ? v / e - 1 : v - e
      seen++
    }
    level = seen > 0 ? level / seen : 0
    const last = history.start + n * HOUR_MS
    const out: number[] = []
    for (let h = 0; h < hours; h++) {
      const t = origin + h * HOUR_MS
      const ahead = Math.max(1, Math.round((t - last) / HOUR_MS) + 1)
      const kept = level * o.persistence ** ahead
      const e = expected(t)
      out.push(Math.max(0, o.relativeLevel === true ? e * (1 + kept) : e + kept))
    }
    return out
  }
}

/**
 * The weighted mean of each hour of the day over history[from..]: a day `k` days older than the
 * newest weighs `decay ** k`, and with `weekend` given (true for Saturdays and Sundays), a day of
 * the other kind weighs `other` times as much. An hour never seen takes the mean of the rest.
 */
function profileOf (history: Hourly, from: number, decay: number, weekend: boolean | undefined, other: number): number[] {
  const n = history.values.length
  const sum = new Array<number>(24).fill(0)
  const weight = new Array<number>(24).fill(0)
  for (let i = n - 1; i >= from; i--) {
    const v = history.values[i] as number
    if (!Number.isFinite(v)) continue
    const t = history.start + i * HOUR_MS
    const w = decay ** Math.floor((n - 1 - i) / 24) * (weekend === undefined || isWeekend(t) === weekend ? 1 : other)
    if (!(w > 0)) continue
    const hod = hourOf(t)
    sum[hod] = (sum[hod] as number) + w * v
    weight[hod] = (weight[hod] as number) + w
  }
  const mean = sum.reduce((a, b) => a + b, 0) / Math.max(1e-9, weight.reduce((a, b) => a + b, 0))
  return sum.map((s, h) => (weight[h] as number) > 0 ? s / (weight[h] as number) : mean)
}

/** Each day of the week's mean ratio to the profile over the window, shrunk halfway to 1. */
function weekdayRatios (history: Hourly, profile: (t: number) => number, from: number): number[] {
  const sum = new Array<number>(7).fill(0)
  const count = new Array<number>(7).fill(0)
  for (let i = from; i < history.values.length; i++) {
    const v = history.values[i] as number
    const t = history.start + i * HOUR_MS
    const p = profile(t)
    if (!Number.isFinite(v) || !(p > 0)) continue
    const d = weekdayOf(t)
    sum[d] = (sum[d] as number) + v / p
    count[d] = (count[d] as number) + 1
  }
  return sum.map((s, d) => (count[d] as number) > 0 ? 0.5 + 0.5 * s / (count[d] as number) : 1)
}

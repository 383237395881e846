import { expect, test } from 'vitest'
import { planJob } from '../../src/core/planner.js'
import type { Instant, IntensityPoint, Pool, Series, Signal } from '../../src/core/types.js'
import { buildForecast, forecastSeries } from '../../src/scheduler/forecasts.js'
import { narrowed, zoneWindow } from '../../src/scheduler/zone-window.js'
import { insertIntensityPoints } from '../../src/store/intensity.js'
import { HOUR, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()
const MINUTE = 60_000
const DAY = 24 * HOUR
const WIDE = 32 * DAY

const POOL: Pool = { name: 'p', zone: 'NORTH', gpuModel: 'h100', gpuCount: 8, wattsPerGpu: 700, pue: 1.2, executor: { kind: 'agent' }, enabled: true, embodiedGPerGpuHour: null, hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null }

interface Fetch { at: Instant, from: Instant, to: Instant, stepMs: number, source: string, kind?: 'forecast' | 'actual', signal?: Signal, skip?: (start: Instant) => boolean }

/** One fetch stored as the tick stores it: points of `stepMs` over [from, to), the last one clipped to `to`. */
async function store (f: Fetch): Promise<void> {
  const rows = []
  for (let start = f.from; start < f.to; start += f.stepMs) {
    if (f.skip?.(start) === true) continue
    const g = 100 + ((start / f.stepMs) % 37) * 5 + (f.at / HOUR) % 11
    rows.push({ zone: 'NORTH', start, end: Math.min(start + f.stepMs, f.to), gPerKwh: g, kind: f.kind ?? 'forecast' as const, signal: f.signal ?? 'average' as const, source: f.source, fetchedAt: f.at })
  }
  await insertIntensityPoints(t().deps.store.db, rows)
}

const lastWeek = (): Fetch => ({ at: NOW, from: NOW - 7 * DAY, to: NOW, stepMs: HOUR, source: 'csv:actuals', kind: 'actual' })
/** A week known from forecasts alone: too little measured history for the model, enough for the week profile. */
const lastWeekForecast = (): Fetch => ({ at: NOW - 7 * DAY, from: NOW - 7 * DAY, to: NOW, stepMs: HOUR, source: 'csv:north.csv' })

/** What extends the stored forecast in a window built at NOW: the model, the week profile, or nothing. */
async function extensionAt (): Promise<string | undefined> {
  return (await buildForecast(t().deps, 'NORTH', NOW, NOW + WIDE, NOW, true)).extension?.source.replace(/@.*/, '')
}

/** The points of a series inside [from, to), clipped to it. */
const within = (points: readonly IntensityPoint[], from: Instant, to: Instant) =>
  points.filter(p => p.end > from && p.start < to).map(p => ({ start: Math.max(p.start, from), end: Math.min(p.end, to), gPerKwh: p.gPerKwh }))

/** What a plan over [from, to) prices and says: grams, segments, label and whether it uses a fallback. */
function priced (series: Series, from: Instant, to: Instant, durationMs: number) {
  const req = { gpus: 1, durationMs, earliestStart: from, deadline: to, interruptible: false, minSegmentMs: HOUR, resumeOverheadMs: 0, pools: ['p'] }
  const out = planJob(req, [{ pool: POOL, series, reservations: [] }], from)
  // Model values are not whole numbers: sums over differently cut arrays may differ in the last bits.
  return out.ok ? { grams: Number(out.placement.grams.toPrecision(10)), segments: out.placement.segments, source: out.placement.source, fallback: out.placement.usesFallback } : out.reason
}

const STARTS = [0, 10 * MINUTE, HOUR, 5.5 * HOUR, 11 * HOUR + 7 * MINUTE, 12 * HOUR, 23 * HOUR, 30 * HOUR, 47 * HOUR + 50 * MINUTE, 50 * HOUR, 5 * DAY]
const LENGTHS = [HOUR, 2.5 * HOUR, 13 * HOUR, 2 * DAY, 10 * DAY, 31 * DAY - 5 * DAY]

/**
 * For every (from, to) pair, the cached answer (the window built over [builtAt, builtAt + 32 d)
 * narrowed) against a read of that range: the same label, fallback start and points over
 * [from, to), and a plan prices the same. Returns how many pairs memory answered.
 */
async function expectSameAsRead (builtAt: Instant, askedAt: Instant): Promise<number> {
  const { deps } = t()
  const window = zoneWindow(await buildForecast(deps, 'NORTH', builtAt, builtAt + WIDE, builtAt, true), builtAt, builtAt + WIDE)
  expect(window).toBeDefined()
  let answered = 0
  for (const start of STARTS) {
    for (const length of LENGTHS) {
      const from = askedAt + start
      const to = Math.min(from + length, askedAt + 31 * DAY)
      const cached = narrowed(window!, from, to)
      if (cached === undefined) continue
      answered++
      const read = await forecastSeries(deps, 'NORTH', from, to, askedAt)
      const at = { from: new Date(from).toISOString(), to: new Date(to).toISOString() }
      expect({ at, source: cached.source, fallbackFrom: cached.fallbackFrom }).toEqual({ at, source: read.source, fallbackFrom: read.fallbackFrom })
      if (cached.points !== window!.series.points) expect(cached).toBe(window!.lastDay)
      else expect({ at, points: within(cached.points, from, to) }).toEqual({ at, points: within(read.points, from, to) })
      for (const d of [HOUR, Math.min(6 * HOUR, to - from)]) expect({ at, d, plan: priced(cached, from, to, d) }).toEqual({ at, d, plan: priced(read, from, to, d) })
    }
  }
  return answered
}

test.each([
  ['greenshift\'s model', lastWeek, 'model:greenshift-ew-profile'],
  ['the week profile', lastWeekForecast, 'profile:same-hour-last-week']
])('several fetches, the last clipped, then %s: every range is answered from memory as a read answers it', async (_, week, extension) => {
  await store(week())
  await store({ at: NOW - 2 * HOUR, from: NOW - 2 * HOUR, to: NOW + 46 * HOUR, stepMs: HOUR, source: 'csv:north.csv' })
  await store({ at: NOW - HOUR, from: NOW - HOUR, to: NOW + 47 * HOUR, stepMs: HOUR, source: 'csv:north.csv' })
  await store({ at: NOW, from: NOW, to: NOW + 48 * HOUR - 20 * MINUTE, stepMs: HOUR, source: 'csv:north.csv' })
  expect(await extensionAt()).toBe(extension)
  expect(await expectSameAsRead(NOW, NOW)).toBe(STARTS.length * LENGTHS.length)
  expect(await expectSameAsRead(NOW, NOW + 3 * HOUR + 17 * MINUTE)).toBe(STARTS.length * LENGTHS.length)
})

test('a fall from 30 minutes to hourly and back: labels name what a read names, straddling rows included', async () => {
  await store(lastWeek())
  await store({ at: NOW - 2 * HOUR, from: NOW - 2 * HOUR, to: NOW + 46 * HOUR, stepMs: 30 * MINUTE, source: 'carbonintensity-uk:national' })
  await store({ at: NOW - HOUR, from: NOW - HOUR, to: NOW + 47 * HOUR, stepMs: HOUR, source: 'csv:north.csv' })
  await store({ at: NOW, from: NOW, to: NOW + 48 * HOUR, stepMs: 30 * MINUTE, source: 'carbonintensity-uk:national' })
  expect(await expectSameAsRead(NOW - 90 * MINUTE, NOW - 90 * MINUTE + 40 * MINUTE)).toBeGreaterThan(40)
  expect(await expectSameAsRead(NOW, NOW)).toBe(STARTS.length * LENGTHS.length)
})

test('an hourly fallback with a shorter horizon than the 30-minute fetch before it: ranges reaching the older fetch are read', async () => {
  await store(lastWeek())
  await store({ at: NOW - HOUR, from: NOW - HOUR, to: NOW + 24 * HOUR, stepMs: 30 * MINUTE, source: 'carbonintensity-uk:national' })
  await store({ at: NOW, from: NOW, to: NOW + 12 * HOUR, stepMs: HOUR, source: 'csv:north.csv' })
  const answered = await expectSameAsRead(NOW, NOW)
  expect(answered).toBeGreaterThan(5)
  expect(answered).toBeLessThan(STARTS.length * LENGTHS.length)
})

test('a thin week: the last known day, repeated by the planner, as a read gives it', async () => {
  await store({ at: NOW, from: NOW, to: NOW + 30 * HOUR, stepMs: HOUR, source: 'csv:north.csv' })
  expect(await expectSameAsRead(NOW, NOW)).toBeGreaterThan(30)
})

test('a forecast that ended in the past: the model alone', async () => {
  await store(lastWeek())
  await store({ at: NOW - 60 * HOUR, from: NOW - 60 * HOUR, to: NOW - 12 * HOUR, stepMs: HOUR, source: 'csv:north.csv' })
  expect(await extensionAt()).toBe('model:greenshift-ew-profile')
  expect(await expectSameAsRead(NOW, NOW)).toBe(STARTS.length * LENGTHS.length)
})

test('a forecast that ended in the past, with no measured history: the week profile alone', async () => {
  await store({ at: NOW - 7 * DAY, from: NOW - 7 * DAY, to: NOW - 60 * HOUR, stepMs: HOUR, source: 'csv:north.csv' })
  await store({ at: NOW - 60 * HOUR, from: NOW - 60 * HOUR, to: NOW - 12 * HOUR, stepMs: HOUR, source: 'csv:north.csv' })
  expect(await extensionAt()).toBe('profile:same-hour-last-week')
  expect(await expectSameAsRead(NOW, NOW)).toBe(STARTS.length * LENGTHS.length)
})

test('a provider that never forecast: the model alone, from the measured history', async () => {
  await store(lastWeek())
  expect(await extensionAt()).toBe('model:greenshift-ew-profile')
  expect(await expectSameAsRead(NOW, NOW)).toBe(STARTS.length * LENGTHS.length)
})

test('a gap in the forecast: ranges reaching it are read, the others answered', async () => {
  await store(lastWeek())
  await store({ at: NOW, from: NOW, to: NOW + 48 * HOUR, stepMs: HOUR, source: 'csv:north.csv', skip: s => s >= NOW + 20 * HOUR && s < NOW + 23 * HOUR })
  const answered = await expectSameAsRead(NOW, NOW)
  expect(answered).toBeGreaterThan(5)
  expect(answered).toBeLessThan(STARTS.length * LENGTHS.length)
})

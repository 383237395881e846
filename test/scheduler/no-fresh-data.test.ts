import { expect, test } from 'vitest'
import type { Instant } from '../../src/core/types.js'
import { ProviderChain } from '../../src/providers/chain.js'
import { forecastSeries, refreshStale } from '../../src/scheduler/forecasts.js'
import { PROFILE_SOURCE } from '../../src/scheduler/profile.js'
import { tick } from '../../src/scheduler/tick.js'
import { resetZoneCache } from '../../src/scheduler/zone-cache.js'
import { iso, NOW, useTestApp } from '../support/app.js'
import { fakeGrid, HOUR, WEEK } from './grid.js'

const t = useTestApp()

/** Last week's green hours: two hours that, one week on, fall 36 h after NOW. */
const GREEN = NOW + 36 * HOUR
const mod = (a: number, n: number) => ((a % n) + n) % n
/** 300 g/kWh, with 50 in the weekly green hours and 100 from NOW + 5 h to NOW + 7 h (a forecast-only dip). */
const value = (h: Instant) => mod(h - GREEN, WEEK) < 2 * HOUR ? 50 : h >= NOW + 5 * HOUR && h < NOW + 7 * HOUR ? 100 : 300

/** NORTH on a fake grid; the tick's intensity step run every 40 h over the week before NOW, then at NOW. */
async function weekOfHistory (hours = [-168, -128, -88, -48, -8, 0]) {
  const { deps } = t()
  const grid = fakeGrid('grid', 'average', value)
  deps.providers.set('NORTH', grid)
  for (const h of hours) await refreshStale(deps, NOW + h * HOUR)
  return grid
}

async function submit (at: Instant, deadline: Instant) {
  t().clock.now = at
  const res = await t().app.inject({
    method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
    payload: { name: 'train', command: ['train'], gpus: 2, durationMinutes: 120, deadline: iso(deadline), pools: ['gpu-north'] }
  })
  expect(res.statusCode).toBe(201)
  return res.json()
}

test('without fresh data, planning uses the last good stored forecast', async () => {
  const grid = await weekOfHistory()
  grid.down = true
  await refreshStale(t().deps, NOW + HOUR)
  const job = await submit(NOW + 2 * HOUR, NOW + 12 * HOUR)
  // The submission plans on what is stored, however old, and never asks the provider itself.
  expect(grid.calls.forecast).toBe(7)
  expect(t().deps.zoneStatus.get('NORTH')?.lastError).toContain('grid: HTTP 500 (test)')
  expect(job.state).toBe('planned')
  expect(job.plan.segments).toEqual([{ start: iso(NOW + 5 * HOUR), end: iso(NOW + 7 * HOUR) }])
  // A plan's source names its version: the newest fetch it rests on, the last good one.
  expect(job.plan.expected).toMatchObject({ signal: 'average', source: `grid:NORTH@${iso(NOW)}`, usesFallback: false })
})

/** The tick run every 20 h: the 24-h forecasts alone then cover the week, as the week profile needs. */
const EVERY_20_H = [-168, -148, -128, -108, -88, -68, -48, -28, -8, 0]

/** Forgets every measured hour: with no history to train on, greenshift's model steps aside for the week profile. */
async function withoutActuals () {
  await t().deps.store.db.deleteFrom('intensity_points').where('kind', '=', 'actual').execute()
  resetZoneCache(t().deps.store)
}

test('beyond the stored forecast, greenshift\'s model trained on the measured week, with a band; the deadline is met', async () => {
  const grid = await weekOfHistory()
  grid.down = true
  const series = await forecastSeries(t().deps, 'NORTH', NOW + 30 * HOUR, NOW + 46 * HOUR, NOW + 30 * HOUR)
  expect(series.source).toBe(`model:greenshift-ew-profile@${iso(NOW).slice(0, 16)}Z`)
  expect(series.fallbackFrom).toBeUndefined()
  expect(series.version).toBeUndefined()
  const green = series.points.find(p => p.start === GREEN)!
  // Last week's green hours weigh little in a 4-week profile, but the hour stays the cheapest of its day.
  expect(green.gPerKwh).toBeLessThan(Math.min(...series.points.filter(p => p.start !== GREEN && p.start !== GREEN + HOUR).map(p => p.gPerKwh)))
  expect(series.points.every(p => p.p10! <= p.gPerKwh && p.gPerKwh <= p.p90!)).toBe(true)

  const job = await submit(NOW + 30 * HOUR, NOW + 46 * HOUR)
  expect(job.plan.segments).toEqual([{ start: iso(GREEN), end: iso(GREEN + 2 * HOUR) }])
  expect(job.plan.expected).toMatchObject({ source: `model:greenshift-ew-profile@${iso(NOW).slice(0, 16)}Z`, usesFallback: false })
  expect(job.plan.expected.band.p10).toBeLessThanOrEqual(job.plan.expected.grams)
  expect(job.plan.expected.band.p90).toBeGreaterThanOrEqual(job.plan.expected.grams)
  expect(Date.parse(job.plan.segments[0].end)).toBeLessThanOrEqual(NOW + 46 * HOUR)
})

test('beyond the stored forecast with no measured history, a labelled same-hour-last-week profile; the deadline is met', async () => {
  const grid = await weekOfHistory(EVERY_20_H)
  grid.down = true
  await withoutActuals()
  const series = await forecastSeries(t().deps, 'NORTH', NOW + 30 * HOUR, NOW + 46 * HOUR, NOW + 30 * HOUR)
  expect(series).toMatchObject({ signal: 'average', source: PROFILE_SOURCE, fallbackFrom: NOW + 30 * HOUR })
  expect(series.points.find(p => p.start === GREEN)?.gPerKwh).toBe(50)

  const job = await submit(NOW + 30 * HOUR, NOW + 46 * HOUR)
  expect(job.plan.segments).toEqual([{ start: iso(GREEN), end: iso(GREEN + 2 * HOUR) }])
  expect(job.plan.expected).toMatchObject({ source: `${PROFILE_SOURCE}@${iso(NOW)}`, usesFallback: true })
  expect(Date.parse(job.plan.segments[0].end)).toBeLessThanOrEqual(NOW + 46 * HOUR)
  // The scheduler's pass during the outage gets nothing from NORTH's provider and keeps the plan.
  expect(await tick(t().deps, 'test', NOW + 31 * HOUR, 180_000)).toMatchObject({ leader: true, failed: 0 })
  expect(t().deps.zoneStatus.get('NORTH')).toMatchObject({ lastAttemptAt: NOW + 31 * HOUR, lastSuccessAt: NOW })
  const again = await t().app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: t().auth(t().keys.a) })
  expect(again.json()).toMatchObject({ state: 'planned', plan: { segments: [{ start: iso(GREEN) }] } })
})

test('a forecast ending inside the window is extended by the model, joined at the seam, and the plan names both', async () => {
  const grid = await weekOfHistory()
  grid.down = true
  const series = await forecastSeries(t().deps, 'NORTH', NOW + 20 * HOUR, NOW + 40 * HOUR, NOW + 20 * HOUR)
  const model = `model:greenshift-ew-profile@${iso(NOW).slice(0, 16)}Z`
  expect(series).toMatchObject({ source: `grid:NORTH+${model}` })
  expect(series.fallbackFrom).toBeUndefined()
  // The provider's last hour and the model's first: drawn together (the model alone would say about 300).
  const at = (t: Instant) => series.points.find(p => p.start === t)!
  expect(at(NOW + 23 * HOUR).p10).toBeUndefined()
  expect(at(NOW + 24 * HOUR).p10).toBeDefined()
  const job = await submit(NOW + 20 * HOUR, NOW + 40 * HOUR)
  expect(job.plan.segments[0].start).toBe(iso(GREEN))
  expect(job.plan.expected).toMatchObject({ source: `grid:NORTH@${iso(NOW)}+${model}`, usesFallback: false })
})

test('a forecast ending inside the window, with no measured history, is extended by the profile, and the plan names both', async () => {
  const grid = await weekOfHistory(EVERY_20_H)
  grid.down = true
  await withoutActuals()
  const series = await forecastSeries(t().deps, 'NORTH', NOW + 20 * HOUR, NOW + 40 * HOUR, NOW + 20 * HOUR)
  expect(series).toMatchObject({ source: `grid:NORTH+${PROFILE_SOURCE}`, fallbackFrom: NOW + 24 * HOUR })
  const job = await submit(NOW + 20 * HOUR, NOW + 40 * HOUR)
  expect(job.plan.segments[0].start).toBe(iso(GREEN))
  expect(job.plan.expected).toMatchObject({ source: `grid:NORTH+${PROFILE_SOURCE}@${iso(NOW)}`, usesFallback: true })
})

test('with less than a week stored, the planner\'s own fallback repeats the last known day', async () => {
  // A provider that keeps 48 h of actuals: too little for the model (72 h).
  const grid = fakeGrid('grid', 'average', value)
  grid.keepsHours = 48
  t().deps.providers.set('NORTH', grid)
  await refreshStale(t().deps, NOW)
  grid.down = true
  const series = await forecastSeries(t().deps, 'NORTH', NOW + 30 * HOUR, NOW + 46 * HOUR, NOW + 30 * HOUR)
  expect(series.source).toBe('grid:NORTH')
  expect(series.points[0]?.start).toBe(NOW)
  const job = await submit(NOW + 30 * HOUR, NOW + 46 * HOUR)
  expect(job.plan.expected).toMatchObject({ source: `grid:NORTH@${iso(NOW)}`, usesFallback: true })
  // The dip of NOW + 5 h, repeated a day later, starts before the window: only its last hour is left.
  expect(job.plan.segments[0].start).toBe(iso(NOW + 30 * HOUR))
})

test('a fall from a marginal to an average provider is planned on the average series alone, and says so', async () => {
  const { deps } = t()
  const moer = fakeGrid('watttime', 'marginal', () => 900)
  const avg = fakeGrid('electricitymaps', 'average', value)
  deps.providers.set('NORTH', new ProviderChain({ members: [{ provider: moer, region: 'CAISO_NORTH' }, { provider: avg, region: 'DE' }] }))
  await refreshStale(deps, NOW - HOUR)
  moer.down = true
  await refreshStale(deps, NOW)
  const series = await forecastSeries(deps, 'NORTH', NOW, NOW + 12 * HOUR, NOW)
  expect(series).toMatchObject({ signal: 'average', source: 'electricitymaps:NORTH' })
  expect(series.points.every(p => p.gPerKwh !== 900)).toBe(true)
  const job = await submit(NOW, NOW + 12 * HOUR)
  expect(job.plan.expected).toMatchObject({ signal: 'average', source: `electricitymaps:NORTH@${iso(NOW)}` })
  moer.down = false
  await refreshStale(deps, NOW + HOUR)
  expect(await forecastSeries(deps, 'NORTH', NOW + HOUR, NOW + 2 * HOUR, NOW + HOUR)).toMatchObject({ signal: 'marginal', source: 'watttime:NORTH' })
})

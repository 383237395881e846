import { describe, expect, it } from 'vitest'
import { captureReport } from '../../bench/capture.js'

describe('forecast capture on WattTime CAISO North (a 3-day slice)', () => {
  const lines: string[] = []
  const rows = captureReport({
    from: Date.UTC(2023, 5, 12), until: Date.UTC(2023, 5, 15), everyMinutes: 60, slackHours: [2, 24], print: l => lines.push(l)
  })

  it('runs every slack × view end to end with the real forecast as known at arrival', () => {
    expect(rows.map(r => `${r.slackHours} ${r.planner}`)).toEqual([
      '2 WattTime forecast', '2 forecast + 24 h actuals', '2 greenshift model', '2 persistence model', '2 actual + 5 % noise', '2 actual + 10 % noise',
      '24 WattTime forecast', '24 forecast + 24 h actuals', '24 greenshift model', '24 persistence model', '24 actual + 5 % noise', '24 actual + 10 % noise'
    ])
    expect(lines.length).toBe(rows.length + 2)
  })

  it('misses no deadline, never beats the oracle, and captures a share within [−100 %, 100 %]', () => {
    for (const r of rows) {
      expect(r.jobs).toBe(73)
      expect(r.deadlineMisses).toBe(0)
      expect(r.plannedG).toBeGreaterThanOrEqual(r.oracleG * (1 - 1e-12))
      expect(r.capturedPct).not.toBeNull()
      expect(r.capturedPct!).toBeGreaterThanOrEqual(-100)
      expect(r.capturedPct!).toBeLessThanOrEqual(100 + 1e-9)
      expect(r.signal).toBe('marginal')
      expect(r.source).toContain('WattTime')
    }
  })

  it('labels plans that reach past the ~1 h forecast horizon as fallback', () => {
    const forecast = rows.filter(r => r.planner === 'WattTime forecast')
    expect(forecast.every(r => r.fallbackJobs > 0)).toBe(true)
    expect(rows.filter(r => r.planner.includes('noise') || r.planner === 'greenshift model').every(r => r.fallbackJobs === 0)).toBe(true)
  })
})

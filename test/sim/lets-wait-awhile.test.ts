import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { simulate } from '../../src/sim/engine.js'
import { loadLetsWaitAwhile, lwaSimJobs, PUBLISHED, ruleDeadline, runLetsWaitAwhile, type LwaRegion } from '../../src/sim/lets-wait-awhile.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const data = loadLetsWaitAwhile(ROOT)
/** Naive-clock instant: 2020-01-06 is a Monday. */
const at = (day: number, hh: number, mm = 0) => Date.UTC(2020, 0, day, hh, mm)

describe("Let's Wait Awhile deadline rules (TARGETS rule 3)", () => {
  it('next_workday', () => {
    const rule = (f0: number) => ruleDeadline('next_workday', f0)
    expect(rule(at(10, 17, 30))).toBe(at(11, 9)) // Friday evening → Saturday 09:00, as published
    expect(rule(at(10, 17))).toBe(at(10, 17)) // 17:00 itself is not after 17:00
    expect(rule(at(11, 5))).toBe(at(13, 9)) // Saturday → Monday
    expect(rule(at(12, 8))).toBe(at(13, 9)) // Sunday → next day
    expect(rule(at(7, 7, 30))).toBe(at(7, 9)) // before 09:00 → 09:00 the same day
    expect(rule(at(8, 12))).toBe(at(8, 12)) // working hours: no flexibility
  })

  it('semi_weekly', () => {
    const rule = (f0: number) => ruleDeadline('semi_weekly', f0)
    expect(rule(at(6, 9))).toBe(at(6, 9)) // Monday 09:00 → that Monday
    expect(rule(at(6, 8))).toBe(at(6, 9))
    expect(rule(at(6, 9, 30))).toBe(at(9, 9)) // Monday after 09:00 → Thursday
    expect(rule(at(9, 9))).toBe(at(9, 9)) // through Thursday 09:00
    expect(rule(at(9, 9, 30))).toBe(at(13, 9)) // Thursday after 09:00 → next Monday
    expect(rule(at(12, 23, 30))).toBe(at(13, 9)) // Sunday night → the Monday after
  })
})

describe("Let's Wait Awhile data (TARGETS rules 1, 2, 7)", () => {
  it('has the published means on the 30-minute grid of 2020 (17,569 points)', () => {
    const means: Record<LwaRegion, number> = { DE: 313.396106, GB: 212.942491, FR: 56.336777 }
    for (const region of ['DE', 'GB', 'FR'] as const) {
      const grid = data.series[region].filter(p => p.start <= Date.UTC(2021, 0, 1))
      expect(grid).toHaveLength(17_569)
      expect(grid.every(p => p.end - p.start === 30 * 60_000)).toBe(true)
      expect(grid.reduce((s, p) => s + p.gPerKwh, 0) / grid.length).toBeCloseTo(means[region], 6)
    }
  })

  it('has 3,387 jobs and 311,252 job-steps', () => {
    expect(data.jobs).toHaveLength(3387)
    expect(data.jobs.reduce((s, j) => s + j.durationMs / 1_800_000, 0)).toBe(311_252)
  })
})

describe("Let's Wait Awhile Table 2, reproduced with the production planner (±0.05 pp)", () => {
  // At 1 kW a step emits g/kWh × 0.5 h, so the published "g/kWh × job-steps" is 2 × grams.
  const baselines: Record<LwaRegion, number> = { DE: 99_017_964.7, GB: 67_289_066.9, FR: 17_687_141.9 }

  it.each(PUBLISHED.map(r => [`${r.region} ${r.rule} ${r.interruptible ? 'interruptible' : 'contiguous'}`, r] as const))('%s', (_, row) => {
    const s = runLetsWaitAwhile(data, row.region, row.rule, row.interruptible)
    expect(Math.abs(s.savingPct - row.published)).toBeLessThanOrEqual(0.05)
    expect(2 * s.baselineG).toBeCloseTo(baselines[row.region], 1)
    expect(s.deadlineMisses).toBe(0)
    expect(s.capturedPct).toBeCloseTo(100, 9) // no forecast error: the planner is its own oracle
  })

  it('gives 6.06 for DE next_workday against a strict start-at-arrival baseline (TARGETS rule 8)', () => {
    const jobs = lwaSimJobs(data.jobs, 'next_workday')
    const s = simulate({ zones: [{ zone: 'DE', actual: data.series.DE, source: 'lwa' }], jobs, signal: 'average' }).summary
    expect(Math.abs(s.savingPct - 6.06)).toBeLessThanOrEqual(0.05)
  })
})

import { describe, expect, it } from 'vitest'
import { backtest, BacktestError } from '../../src/forecast/backtest.js'
import type { ForecastModel } from '../../src/forecast/model.js'
import { constantModel, seasonalDayModel, synthetic, Y2022 } from './helpers.js'

describe('backtest', () => {
  const year = synthetic(Y2022, 365 * 24)

  it('keeps the model with the lowest validation MAPE at 24 h and scores it and persistence on the test origins', () => {
    const good = seasonalDayModel('good', 20)
    const bad = constantModel('flat', 300, 10)
    const r = backtest(year, [bad, good], constantModel('persistence', 250), { horizons: [24, 48], everyHours: 24 })
    expect(r.model).toBe('good')
    expect(r.persistence).toBe('persistence')
    expect(r.validation.scores.map(s => s.model)).toEqual(['flat', 'good'])
    expect(r.validation.scores[1]!.mape).toBeLessThan(r.validation.scores[0]!.mape)
    expect(r.validation).toMatchObject({ from: '2022-07-01T00:00:00.000Z', to: '2022-09-27T00:00:00.000Z', origins: 89 })
    expect(r.test).toEqual({ from: '2022-10-01T00:00:00.000Z', to: '2022-12-28T00:00:00.000Z', origins: 89 })
    expect(r.horizons.map(h => h.hours)).toEqual([24, 48])
    const day = r.horizons[0]!
    expect(day.model.mape).toBeLessThan(day.persistence.mape)
    expect(day.model.n).toBe(89 * 24)
    expect(day.persistence.mae).toBeGreaterThan(0)
  })

  it('lays out the same split whatever the horizons, so 24 h alone reports what the default does', () => {
    const models = [constantModel('flat', 300, 10), seasonalDayModel('good', 20)]
    const alone = backtest(year, models, constantModel('p', 250), { horizons: [24], everyHours: 24 })
    const all = backtest(year, models, constantModel('p', 250), { horizons: [24, 48, 96], everyHours: 24 })
    expect(alone.validation).toEqual(all.validation)
    expect(alone.test).toEqual(all.test)
    expect(alone.horizons[0]).toEqual(all.horizons[0])
  })

  it('never shows a model a test-period hour while choosing it', () => {
    const testFrom = Date.UTC(2022, 9, 1)
    let latest = -Infinity
    const spy: ForecastModel = {
      name: 'spy',
      forecast: (history, origin, hours) => {
        latest = Math.max(latest, origin + hours * 3_600_000)
        return constantModel('x', 300).forecast(history, origin, hours)
      }
    }
    // The chosen model is then scored on the test, so the spy forecasts like "first", is listed second and loses the tie: it only sees validation.
    const r = backtest(year, [constantModel('first', 300), spy], seasonalDayModel(), { horizons: [96], everyHours: 24 })
    expect(r.model).toBe('first')
    expect(latest).toBeGreaterThan(Date.UTC(2022, 8, 1))
    expect(latest).toBeLessThanOrEqual(testFrom)
  })

  it('says when the series is too short', () => {
    expect(() => backtest(synthetic(Y2022, 30 * 24), [constantModel('c', 1)], constantModel('p', 1), { horizons: [24], everyHours: 24 }))
      .toThrow(BacktestError)
    expect(() => backtest(synthetic(Y2022, 30 * 24), [constantModel('c', 1)], constantModel('p', 1), { horizons: [24], everyHours: 24 }))
      .toThrow(/series \(30.0 days\) is too short/)
  })
})

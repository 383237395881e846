import { describe, expect, test } from 'vitest'
import { atTime, fixedZone, formatMinutes, fromLocal, parseDuration, parseInstant, sbatchTime, utc, type TimeZone } from '../../src/cli/client/time.js'

/** Monday 2026-11-23 10:00 UTC, the test app's NOW. */
const NOW = Date.UTC(2026, 10, 23, 10)
const CET = fixedZone(60)
const at = (text: string, zone: TimeZone = CET) => {
  const t = parseInstant(text, NOW, zone)
  return t === undefined ? undefined : new Date(t).toISOString()
}

describe('parseDuration', () => {
  test.each([
    ['6h', 360], ['90m', 90], ['1h30m', 90], ['2d', 2880], ['1d6h', 1800], ['1h 30m', 90], ['45M', 45], [' 2h ', 120]
  ])('%s is %i minutes', (text, minutes) => {
    expect(parseDuration(text)).toBe(minutes)
  })

  test.each(['', '6', 'h', '0m', '30m1h', '1.5h', '6 hours', '-2h', '6x'])('"%s" is no duration', text => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

describe('parseInstant', () => {
  test('words and clock times are wall-clock times in the zone passed in', () => {
    // 10:00Z is 11:00 at UTC+01:00: today 18:00 there is 17:00Z; tomorrow 09:00 is 08:00Z the next day.
    expect(at('today 18:00')).toBe('2026-11-23T17:00:00.000Z')
    expect(at('tomorrow 09:00')).toBe('2026-11-24T08:00:00.000Z')
    expect(at('Tomorrow 9:00')).toBe('2026-11-24T08:00:00.000Z')
    expect(at('tomorrow 09:00', fixedZone(-300))).toBe('2026-11-24T14:00:00.000Z')
    // A bare clock time is the next one: 12:00 is still ahead today, 09:00 has passed (it is 11:00 there).
    expect(at('12:00')).toBe('2026-11-23T11:00:00.000Z')
    expect(at('09:00')).toBe('2026-11-24T08:00:00.000Z')
  })

  test('"tomorrow" is the zone\'s tomorrow, not UTC\'s', () => {
    // At 10:00Z it is already Tuesday 00:00 at UTC+14:00: tomorrow is Wednesday there.
    expect(at('tomorrow 09:00', fixedZone(14 * 60))).toBe('2026-11-24T19:00:00.000Z')
  })

  test('relative times count from now', () => {
    expect(at('+12h')).toBe('2026-11-23T22:00:00.000Z')
    expect(at('+1d6h')).toBe('2026-11-24T16:00:00.000Z')
    expect(at('+ 90m')).toBe('2026-11-23T11:30:00.000Z')
  })

  test('calendar times without an offset are local; with one they are exact', () => {
    expect(at('2026-12-04 09:00')).toBe('2026-12-04T08:00:00.000Z')
    expect(at('2026-12-04T09:00:30')).toBe('2026-12-04T08:00:30.000Z')
    expect(at('2026-12-04')).toBe('2026-12-03T23:00:00.000Z')
    expect(at('2026-12-04T09:00:00Z')).toBe('2026-12-04T09:00:00.000Z')
    expect(at('2026-12-04T09:00:00.250+05:30')).toBe('2026-12-04T03:30:00.250Z')
    expect(at('2026-12-04t09:00:00-08:00')).toBe('2026-12-04T17:00:00.000Z')
  })

  test.each(['tomorrow', 'yesterday 09:00', 'today 24:00', 'today 9:60', '2026-02-30 09:00', '2026-13-01', '2026-12-04Z',
    '2026-12-04T09:00:00+25:00', 'next friday', '+', '+6x', ''])('"%s" is no time', text => {
    expect(at(text)).toBeUndefined()
  })

  test('a zone with daylight saving: the offset at the answer counts, not at the guess', () => {
    // A zone at UTC+1 that moves to UTC+2 from 2026-03-29 01:00Z (as Europe/Berlin does).
    const change = Date.UTC(2026, 2, 29, 1)
    const berlin: TimeZone = { offsetMinutes: t => t >= change ? 120 : 60 }
    expect(new Date(fromLocal(Date.UTC(2026, 2, 29, 9), berlin)).toISOString()).toBe('2026-03-29T07:00:00.000Z')
    expect(new Date(fromLocal(Date.UTC(2026, 2, 29, 1), berlin)).toISOString()).toBe('2026-03-29T00:00:00.000Z')
  })
})

describe('formats', () => {
  test('sbatch and at times are local wall-clock times', () => {
    const t = Date.UTC(2026, 11, 3, 1)
    expect(sbatchTime(t, CET)).toBe('2026-12-03T02:00:00')
    expect(sbatchTime(t, fixedZone(-300))).toBe('2026-12-02T20:00:00')
    expect(atTime(t, CET)).toBe('202612030200')
    // at -t has minutes only: a start inside a minute waits for the next one rather than coming early.
    expect(atTime(t + 10_000, CET)).toBe('202612030201')
  })

  test('UTC instants and durations for people', () => {
    expect(utc('2026-12-03T01:00:00.000Z')).toBe('2026-12-03 01:00Z')
    expect(utc(Date.UTC(2026, 11, 3, 1, 0, 5))).toBe('2026-12-03 01:00:05Z')
    expect([360, 90, 2880, 45, 1501].map(formatMinutes)).toEqual(['6h', '1h30m', '2d', '45m', '1d1h1m'])
  })
})

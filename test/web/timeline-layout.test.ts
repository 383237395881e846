import { describe, expect, test } from 'vitest'
import { parseDuration } from '../../web/duration.js'
import { clip, pack, peakGpus, type Bar } from '../../web/timeline-layout.js'

const H = 3_600_000
const bar = (id: string, startH: number, endH: number, gpus: number): Bar =>
  ({ id, name: id, state: 'planned', kind: 'planned', pool: 'p', start: startH * H, end: endH * H, gpus })

describe('timeline layout', () => {
  test('jobs overlapping in time are stacked by GPUs; one that starts after another ends reuses its GPUs', () => {
    const placed = pack([bar('a', 0, 4, 8), bar('b', 2, 6, 4), bar('c', 4, 8, 8), bar('d', 3, 5, 2)])
    const at = Object.fromEntries(placed.map(p => [p.id, p.offset]))
    // a holds 0-7; b (from 2 h) goes on top at 8; d (3-5 h) overlaps both: 12; c starts as a ends: 0.
    expect(at).toEqual({ a: 0, b: 8, d: 12, c: 0 })
  })

  test('the room a finished job leaves below stacked ones is used when the new job fits in it', () => {
    // Same start: more GPUs first, then by id. a takes 0-3 until 1 h, b 4-5 and c 6-7 all along;
    // d (3 GPUs from 2 h) fits below b in the room a left.
    const placed = pack([bar('c', 0, 10, 2), bar('b', 0, 10, 2), bar('a', 0, 1, 4), bar('d', 2, 3, 3)])
    expect(Object.fromEntries(placed.map(p => [p.id, p.offset]))).toEqual({ a: 0, b: 4, c: 6, d: 0 })
    // With 5 GPUs d no longer fits below b: it goes on top of c.
    expect(pack([bar('c', 0, 10, 2), bar('b', 0, 10, 2), bar('a', 0, 1, 4), bar('d', 2, 3, 5)]).find(p => p.id === 'd')?.offset).toBe(8)
  })

  test('the peak is the most GPUs in use at once, ends before starts at the same instant', () => {
    expect(peakGpus([bar('a', 0, 4, 8), bar('b', 2, 6, 4), bar('c', 4, 8, 8)])).toBe(12)
    expect(peakGpus([bar('a', 0, 4, 8), bar('c', 4, 8, 8)])).toBe(8)
    expect(peakGpus([])).toBe(0)
  })

  test('bars are clipped to the window and those outside dropped', () => {
    expect(clip([bar('in', 1, 3, 1), bar('across', -2, 2, 1), bar('out', 10, 12, 1)], 0, 5 * H).map(b => [b.id, b.start / H, b.end / H]))
      .toEqual([['in', 1, 3], ['across', 0, 2]])
  })
})

describe('durations typed into the plan form', () => {
  test.each([['6h', 360], ['90m', 90], ['1h30m', 90], ['1.5h', 90], ['45', 45], [' 2 h ', 120], ['10min', 10]])('%s is %i minutes', (text, minutes) => {
    expect(parseDuration(text)).toBe(minutes)
  })

  test.each(['', 'h', '6 hours', '-1h', '0', '0h', 'tomorrow'])('%j is refused', text => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

import { describe, expect, test } from 'vitest'
import { findIllFormed } from '../../src/http/unicode.js'

describe('findIllFormed', () => {
  test('finds the first lone surrogate in document order, by its field path', () => {
    expect(findIllFormed({ a: 'ok', b: ['x', { c: 'y\ud800' }], d: '\udc00' })).toEqual({ path: 'b[1].c', key: false })
    expect(findIllFormed({ cursor: '\udfff' })).toEqual({ path: 'cursor', key: false })
    expect(findIllFormed('a\udc00b')).toEqual({ path: '', key: false })
    expect(findIllFormed(['ok', '\ud800'])).toEqual({ path: '[1]', key: false })
  })

  test('names the object that holds an ill-formed key', () => {
    expect(findIllFormed({ labels: { ok: '1', 'k\ud800': '2' } })).toEqual({ path: 'labels', key: true })
    expect(findIllFormed({ '\ud800': 1 })).toEqual({ path: '', key: true })
  })

  test('surrogate pairs, other values and empty inputs are well-formed', () => {
    expect(findIllFormed({ name: 'train 🚀', n: 1, b: true, z: null, list: [], o: {} })).toBeUndefined()
    expect(findIllFormed(undefined)).toBeUndefined()
    // A high surrogate followed by a low one is a pair; reversed, both are lone.
    expect(findIllFormed('\ud83d\ude80')).toBeUndefined()
    expect(findIllFormed('\ude80\ud83d')).toEqual({ path: '', key: false })
  })

  test('a value nested 100,000 deep is walked without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(100_000) + '"\\ud800"' + ']'.repeat(100_000)) as unknown
    expect(findIllFormed(deep)?.key).toBe(false)
  })
})

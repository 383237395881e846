import { createHmac } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { secretKey, sign, signature, verify } from '../../src/executors/signing.js'

/** 24 bytes of key as the Standard Webhooks form; the HMAC key is the decoded bytes, not the text. */
const KEY = Buffer.from('greenshift-test-key-0001')
const SECRET = `whsec_${KEY.toString('base64')}`
const ID = 'msg_2b6f1c'
const TS = 1_795_000_000
const BODY = '{"type":"job.dispatch","job":{"id":"j-1","attempt":1}}'

const byHand = (key: Buffer, text: string) => `v1,${createHmac('sha256', key).update(text).digest('base64')}`

describe('sign', () => {
  test('is v1, then the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" under the decoded whsec_ key', () => {
    const headers = sign(SECRET, ID, TS, BODY)
    expect(headers).toEqual({
      'webhook-id': ID,
      'webhook-timestamp': '1795000000',
      'webhook-signature': byHand(KEY, `${ID}.${TS}.${BODY}`)
    })
    // 32-byte digest → 44 base64 characters.
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
  })

  test('a secret without the whsec_ prefix is used as its UTF-8 bytes', () => {
    expect(signature('plain pässword', ID, TS, BODY)).toBe(byHand(Buffer.from('plain pässword', 'utf8'), `${ID}.${TS}.${BODY}`))
    expect(secretKey(SECRET)).toEqual(KEY)
    expect(signature(SECRET, ID, TS, BODY)).not.toBe(signature(SECRET.slice('whsec_'.length), ID, TS, BODY))
  })

  test('an empty secret is refused rather than signing with an empty key', () => {
    expect(() => signature('whsec_', ID, TS, BODY)).toThrow(/empty/)
    expect(() => signature('', ID, TS, BODY)).toThrow(/empty/)
  })
})

describe('verify', () => {
  const headers = sign(SECRET, ID, TS, BODY)

  test('accepts its own signature and says which message it was', () => {
    expect(verify(SECRET, headers, BODY, TS)).toEqual({ ok: true, id: ID, timestampSec: TS })
  })

  test('accepts timestamps up to the tolerance either way, and refuses beyond', () => {
    expect(verify(SECRET, headers, BODY, TS + 300).ok).toBe(true)
    expect(verify(SECRET, headers, BODY, TS - 300).ok).toBe(true)
    expect(verify(SECRET, headers, BODY, TS + 301)).toMatchObject({ ok: false, reason: 'stale-timestamp', header: 'webhook-timestamp' })
    expect(verify(SECRET, headers, BODY, TS - 301)).toMatchObject({ ok: false, reason: 'future-timestamp', header: 'webhook-timestamp' })
    expect(verify(SECRET, headers, BODY, TS + 60, 30)).toMatchObject({ ok: false, reason: 'stale-timestamp' })
  })

  test('any one of several space-separated signatures may match (secret rotation); other versions are ignored', () => {
    const other = sign('whsec_b2xkLXNlY3JldA==', ID, TS, BODY)['webhook-signature']
    const list = `v1a,ZmFrZQ== ${other} ${headers['webhook-signature']}`
    expect(verify(SECRET, { ...headers, 'webhook-signature': list }, BODY, TS).ok).toBe(true)
    expect(verify(SECRET, { ...headers, 'webhook-signature': `${other} v1a,${headers['webhook-signature'].slice(3)}` }, BODY, TS))
      .toMatchObject({ ok: false, reason: 'bad-signature' })
  })

  test('a changed body, id, timestamp or secret fails without revealing the expected signature', () => {
    const expected = headers['webhook-signature'].slice(3)
    const failures = [
      verify(SECRET, headers, BODY.replace('"attempt":1', '"attempt":2'), TS),
      verify(SECRET, headers, `${BODY} `, TS),
      verify(SECRET, { ...headers, 'webhook-id': 'msg_other' }, BODY, TS),
      verify(SECRET, { ...headers, 'webhook-timestamp': String(TS + 1) }, BODY, TS),
      verify('whsec_b2xkLXNlY3JldA==', headers, BODY, TS)
    ]
    for (const f of failures) {
      expect(f).toMatchObject({ ok: false, reason: 'bad-signature', header: 'webhook-signature' })
      expect(JSON.stringify(f)).not.toContain(expected)
    }
  })

  test('signs the timestamp text as sent, so a receiver-side reformatting cannot make a match', () => {
    const padded = { ...headers, 'webhook-timestamp': `0${TS}` }
    expect(verify(SECRET, padded, BODY, TS)).toMatchObject({ ok: false, reason: 'bad-signature' })
    const signedPadded = { ...padded, 'webhook-signature': byHand(KEY, `${ID}.0${TS}.${BODY}`) }
    expect(verify(SECRET, signedPadded, BODY, TS).ok).toBe(true)
  })

  test.each([
    ['webhook-id', 'missing-header'],
    ['webhook-timestamp', 'missing-header'],
    ['webhook-signature', 'missing-header']
  ] as const)('a missing %s header is refused as %s', (name, reason) => {
    const partial: Record<string, string | undefined> = { ...headers, [name]: undefined }
    expect(verify(SECRET, partial, BODY, TS)).toMatchObject({ ok: false, reason, header: name })
  })

  test.each(['soon', '-5', '1.5e9', '17950000000000'])('a timestamp of %j is refused as not unix seconds', stamp => {
    expect(verify(SECRET, { ...headers, 'webhook-timestamp': stamp }, BODY, TS)).toMatchObject({ ok: false, reason: 'bad-timestamp' })
  })

  test('reads the first value of a repeated header, as node:http may hand them over', () => {
    const repeated = { ...headers, 'webhook-id': [ID, 'msg_other'] }
    expect(verify(SECRET, repeated, BODY, TS).ok).toBe(true)
  })
})

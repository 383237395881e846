import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the sender signs
 * `<webhook-id>.<webhook-timestamp>.<raw body>` with HMAC-SHA256 and sends `v1,<base64 digest>`.
 * Greenshift signs dispatches to webhook pools this way, and receivers sign their callbacks the
 * same way with the same pool secret, so one implementation serves both directions and receivers
 * can use any Standard Webhooks library.
 */

/** The three headers of a signed message, by their lower-case names (a type, so it fits header maps). */
export type WebhookHeaders = {
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

/** Why a message was refused; `detail` is safe to show the sender (it never holds the expected signature). */
export type VerifyFailure = 'missing-header' | 'bad-timestamp' | 'stale-timestamp' | 'future-timestamp' | 'bad-signature'

export type VerifyResult =
  | { ok: true, id: string, timestampSec: number }
  | { ok: false, reason: VerifyFailure, header: keyof WebhookHeaders, detail: string }

/** Five minutes either way: wide enough for clock skew and retries, short enough to bound replays. */
export const DEFAULT_TOLERANCE_SEC = 300

const SECRET_PREFIX = 'whsec_'

/**
 * The HMAC key of a secret: `whsec_<base64>` is the Standard Webhooks form (the base64 part is the
 * key); any other string is used as its UTF-8 bytes, so a plain shared password works too.
 */
export function secretKey (secret: string): Buffer {
  const key = secret.startsWith(SECRET_PREFIX) ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64') : Buffer.from(secret, 'utf8')
  if (key.length === 0) throw new Error('webhook secret is empty')
  return key
}

/**
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. A verifier passes the timestamp header's
 * text as received, so the signed bytes are exactly those the sender signed.
 */
export function signature (secret: string, id: string, timestamp: number | string, body: string): string {
  const digest = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64')
  return `v1,${digest}`
}

/** The headers to send `body` as message `id` at `timestampSec` (unix seconds). */
export function sign (secret: string, id: string, timestampSec: number, body: string): WebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': signature(secret, id, timestampSec, body)
  }
}

function header (headers: Readonly<Record<string, string | string[] | undefined>>, name: keyof WebhookHeaders): string | undefined {
  const value = headers[name]
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  return text === undefined || text === '' ? undefined : text
}

/** Constant-time comparison of one `v1,<base64>` candidate with the expected one (same scheme). */
function matches (candidate: string, expected: string): boolean {
  const a = Buffer.from(candidate, 'utf8')
  const b = Buffer.from(expected, 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Checks a message: all three headers present, the timestamp within `toleranceSec` of `nowSec`
 * either way (an old one may be a replay; one from the future would stay valid too long), and one
 * of the space-separated `v1,` signatures (several are allowed while a secret is rotated) equal to
 * the HMAC of the raw body as received. Signatures of other versions are ignored.
 */
export function verify (
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  rawBody: string,
  nowSec: number,
  toleranceSec = DEFAULT_TOLERANCE_SEC
): VerifyResult {
  const id = header(headers, 'webhook-id')
  const stamp = header(headers, 'webhook-timestamp')
  const signatures = header(headers, 'webhook-signature')
  if (id === undefined || stamp === undefined || signatures === undefined) {
    const missing: keyof WebhookHeaders = id === undefined ? 'webhook-id' : stamp === undefined ? 'webhook-timestamp' : 'webhook-signature'
    return { ok: false, reason: 'missing-header', header: missing, detail: `missing ${missing} header` }
  }
  if (!/^\d{1,12}$/.test(stamp)) return { ok: false, reason: 'bad-timestamp', header: 'webhook-timestamp', detail: 'webhook-timestamp must be unix seconds' }
  const timestampSec = Number(stamp)
  if (timestampSec < nowSec - toleranceSec) {
    return { ok: false, reason: 'stale-timestamp', header: 'webhook-timestamp', detail: `webhook-timestamp is more than ${toleranceSec} s old` }
  }
  if (timestampSec > nowSec + toleranceSec) {
    return { ok: false, reason: 'future-timestamp', header: 'webhook-timestamp', detail: `webhook-timestamp is more than ${toleranceSec} s in the future` }
  }
  const expected = signature(secret, id, stamp, rawBody)
  const candidates = signatures.split(' ').filter(s => s.startsWith('v1,'))
  // Every candidate is compared, so the time taken does not tell which one matched.
  const ok = candidates.reduce((found, c) => matches(c, expected) || found, false)
  return ok ? { ok: true, id, timestampSec } : { ok: false, reason: 'bad-signature', header: 'webhook-signature', detail: 'no webhook-signature matches the body' }
}

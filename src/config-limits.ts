/** How long the HTTP edge waits for a request, and how many requests each caller may make. */
export interface HttpLimits {
  /** The whole request (headers and body) must arrive within this, else 408, ms (GREENSHIFT_BODY_TIMEOUT_MS). */
  readonly bodyTimeoutMs: number
  /** The request's headers must arrive within this, else 408, ms (GREENSHIFT_HEADERS_TIMEOUT_MS). */
  readonly headersTimeoutMs: number
  /** The unauthenticated webhook callbacks' whole request, ms (GREENSHIFT_CALLBACK_BODY_TIMEOUT_MS). */
  readonly callbackBodyTimeoutMs: number
  /** Requests per second each API key, agent token or callback client IP may make; 0 is no limit (GREENSHIFT_RATE_LIMIT_PER_SECOND). */
  readonly rateLimitPerSecond: number
  /** Requests one caller may make at once after being idle (GREENSHIFT_RATE_LIMIT_BURST). */
  readonly rateLimitBurst: number
}

/** An integer variable within [min, max], or `fallback` when unset; a problem names the variable. */
export function envInteger (issues: string[], name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min || n > max) issues.push(`${name} must be an integer from ${min} to ${max}, got "${text}"`)
  return n
}

// 100 ms lets tests use short limits; past 10 minutes a slow client holds a socket for nothing.
const MIN_TIMEOUT_MS = 100
const MAX_TIMEOUT_MS = 600_000

/**
 * A timeout within the whole request's (`bodyMs`), defaulting to the smaller of `fallback` and
 * it: Node refuses a headers timeout above the request timeout, and a tighter limit for one kind
 * of request that is looser than the general one would mean nothing.
 */
function innerTimeout (issues: string[], name: string, text: string | undefined, fallback: number, bodyMs: number): number {
  const ms = envInteger(issues, name, text, Math.min(fallback, bodyMs), MIN_TIMEOUT_MS, MAX_TIMEOUT_MS)
  if (text !== undefined && ms > bodyMs) issues.push(`${name} must not exceed GREENSHIFT_BODY_TIMEOUT_MS (${bodyMs} ms), got "${text}"`)
  return ms
}

/**
 * The edge's timeouts and rate limit from the environment. A job spec is a few kB: 10 s for a
 * whole request is generous on any link, and 5 s for headers (a few hundred bytes). Webhook
 * callbacks are signed but unauthenticated until their whole body has arrived, so they get 3 s.
 * 50 requests/s per key with bursts of 200 is far above what a scheduler client needs (an agent
 * sends a heartbeat every 15 s), and low enough that one key cannot starve the others.
 */
export function httpLimits (issues: string[], get: (name: string) => string | undefined): HttpLimits {
  const bodyTimeoutMs = envInteger(issues, 'GREENSHIFT_BODY_TIMEOUT_MS', get('GREENSHIFT_BODY_TIMEOUT_MS'), 10_000, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS)
  return {
    bodyTimeoutMs,
    headersTimeoutMs: innerTimeout(issues, 'GREENSHIFT_HEADERS_TIMEOUT_MS', get('GREENSHIFT_HEADERS_TIMEOUT_MS'), 5_000, bodyTimeoutMs),
    callbackBodyTimeoutMs: innerTimeout(issues, 'GREENSHIFT_CALLBACK_BODY_TIMEOUT_MS', get('GREENSHIFT_CALLBACK_BODY_TIMEOUT_MS'), 3_000, bodyTimeoutMs),
    rateLimitPerSecond: envInteger(issues, 'GREENSHIFT_RATE_LIMIT_PER_SECOND', get('GREENSHIFT_RATE_LIMIT_PER_SECOND'), 50, 0, 1_000_000),
    rateLimitBurst: envInteger(issues, 'GREENSHIFT_RATE_LIMIT_BURST', get('GREENSHIFT_RATE_LIMIT_BURST'), 200, 1, 1_000_000)
  }
}

import type { FastifyRequest } from 'fastify'
import type { Instant } from '../core/types.js'
import { ApiError } from '../errors.js'

interface Bucket {
  tokens: number
  at: Instant
}

/**
 * Token buckets by caller: each holds up to `burst` tokens, refilled at `perSecond`, and a request
 * takes one. Memory is bounded: a bucket idle long enough to be full is the same as none and is
 * dropped, and past `maxBuckets` callers the least recently seen is dropped (10,000 callers of
 * ~100 bytes each is 1 MB). Time is an argument, so tests drive it.
 */
export class TokenBuckets {
  // Map order is insertion order: a bucket is re-inserted on each use, so the first is the least recent.
  private readonly buckets = new Map<string, Bucket>()
  private readonly fullAfterMs: number

  constructor (private readonly perSecond: number, private readonly burst: number, private readonly maxBuckets = 10_000) {
    this.fullAfterMs = burst / perSecond * 1000
  }

  /** Takes a token of `key`'s bucket at `now`: 0 when there was one, else whole seconds until there is. */
  take (key: string, now: Instant): number {
    const bucket = this.buckets.get(key)
    this.buckets.delete(key)
    this.dropIdle(now)
    // A clock stepping back refills nothing rather than draining.
    const tokens = bucket === undefined ? this.burst : Math.min(this.burst, bucket.tokens + Math.max(0, now - bucket.at) * this.perSecond / 1000)
    this.buckets.set(key, { tokens: tokens >= 1 ? tokens - 1 : tokens, at: now })
    if (tokens >= 1) return 0
    return Math.max(1, Math.ceil((1 - tokens) / this.perSecond))
  }

  /** How many callers have a bucket. */
  get size (): number {
    return this.buckets.size
  }

  /** Drops the least recent buckets while they are full again or too many: two per call keeps up with one new caller per call. */
  private dropIdle (now: Instant): void {
    for (let i = 0; i < 2; i++) {
      const first = this.buckets.entries().next()
      if (first.done === true) return
      const [key, bucket] = first.value
      if (this.buckets.size < this.maxBuckets && now - bucket.at < this.fullAfterMs) return
      this.buckets.delete(key)
    }
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The id of the agent token that authenticated this request (agent API). */
    agentTokenId?: string
  }
}

/**
 * Whose bucket a request takes from: an API key's or agent token's id once authenticated (so
 * unknown keys, refused with 401 before this, cost no memory), the client's IP for the
 * unauthenticated webhook callbacks, and none for health, readiness, metrics and docs.
 */
function callerOf (request: FastifyRequest): string | undefined {
  if (request.principal !== undefined) return `key:${request.principal.keyId}`
  if (request.agentTokenId !== undefined) return `agent:${request.agentTokenId}`
  if (request.routeOptions.url?.startsWith('/v1/callbacks/') === true) return `ip:${request.ip}`
  return undefined
}

/**
 * A preParsing hook (after every onRequest hook, so after authentication; before the body is
 * read) that answers 429 with Retry-After once a caller has spent its burst; undefined when
 * `perSecond` is 0 (no limit).
 */
export function rateLimit (limits: { rateLimitPerSecond: number, rateLimitBurst: number }, now: () => Instant): ((request: FastifyRequest) => Promise<void>) | undefined {
  if (limits.rateLimitPerSecond === 0) return undefined
  const buckets = new TokenBuckets(limits.rateLimitPerSecond, limits.rateLimitBurst)
  return async request => {
    const caller = callerOf(request)
    if (caller === undefined) return
    const wait = buckets.take(caller, now())
    if (wait === 0) return
    throw new ApiError(429, 'rate-limited',
      `more than ${limits.rateLimitBurst} requests at once or ${limits.rateLimitPerSecond} per second from this caller; retry in ${wait} s`,
      [], { 'retry-after': String(wait) })
  }
}

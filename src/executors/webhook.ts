import { setTimeout as delay } from 'node:timers/promises'
import { request, type Dispatcher } from 'undici'
import type { ExecutorSpec, Instant } from '../core/types.js'
import { isPermanentStatus, type Executor, type Handover } from './executor.js'
import { sign } from './signing.js'

/** The webhook variant of a pool's executor spec. */
export type WebhookSpec = Extract<ExecutorSpec, { kind: 'webhook' }>

/** How a webhook executor signs and delivers. Tests inject `dispatcher`, `backoffMs`, `sleep` and `now`. */
export interface WebhookOptions {
  /** The pool's signing secret (`secretFor(deps, spec.secretEnv)`): `whsec_<base64>` or a plain string. */
  secret: string
  /** Where receivers reach greenshift, e.g. `https://greenshift.example`; the callback URL is built on it. */
  callbackBase: string
  /** undici dispatcher; default: undici's global one. */
  dispatcher?: Dispatcher | undefined
  /** Deliveries of one message before giving up; default 5. */
  attempts?: number | undefined
  /** Wait before retry `n` (1-based), ms; default exponential from 0.5 s with jitter, at most 30 s. */
  backoffMs?: ((n: number) => number) | undefined
  /** Waits `ms`, or rejects when `signal` aborts; default a real timer. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined
  /** The clock, read at each delivery: the signed timestamp must be fresh even after a backoff. */
  now: () => Instant
  /** Per delivery, ms; default 10 s. */
  timeoutMs?: number | undefined
}

/** A message the receiver did not accept; `permanent` when retrying the same message cannot help (a 4xx). */
export class WebhookDeliveryError extends Error {
  constructor (message: string, readonly status: number | null, readonly permanent: boolean, options?: ErrorOptions) {
    super(message, options)
    this.name = 'WebhookDeliveryError'
  }
}

const DEFAULT_ATTEMPTS = 5
const DEFAULT_TIMEOUT_MS = 10_000
/** A longer `Retry-After` ends the delivery at once: the scheduler's next tick tries again anyway. */
const MAX_RETRY_AFTER_MS = 30_000

/** Equal jitter over 0.5, 1, 2, 4 … s capped at 30 s: retries of many jobs spread out, none waits for nothing. */
export function defaultBackoffMs (n: number, random: () => number = Math.random): number {
  const ceiling = Math.min(30_000, 500 * 2 ** (n - 1))
  return ceiling / 2 + (ceiling / 2) * random()
}

/** `Retry-After` in delay-seconds → ms; 0 when absent or an HTTP date (the backoff then decides). */
function retryAfterMs (value: string | string[] | undefined): number {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) * 1000 : 0
}

/** The URL for messages and logs: no query string, which may carry a token. */
function shown (url: string): string {
  const u = new URL(url)
  return `${u.origin}${u.pathname}`
}

/** The options with their defaults filled in. */
type Settings = Required<Omit<WebhookOptions, 'dispatcher'>> & { dispatcher: Dispatcher | undefined }

interface Message {
  /** `webhook-id`: the same for every delivery of one message, so the receiver can drop repeats. */
  id: string
  body: string
}

type Delivery = { ok: true } | { ok: false, error: WebhookDeliveryError, retryAfterMs: number }

async function deliverOnce (url: string, message: Message, opts: Settings, signal: AbortSignal | undefined): Promise<Delivery> {
  const headers = { 'content-type': 'application/json', ...sign(opts.secret, message.id, Math.floor(opts.now() / 1000), message.body) }
  let status: number
  let text: string
  let retryAfter: string | string[] | undefined
  try {
    const res = await request(url, {
      method: 'POST',
      headers,
      body: message.body,
      signal: signal === undefined ? AbortSignal.timeout(opts.timeoutMs) : AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)]),
      ...(opts.dispatcher === undefined ? {} : { dispatcher: opts.dispatcher })
    })
    status = res.statusCode
    retryAfter = res.headers['retry-after']
    text = await res.body.text().catch(() => '')
  } catch (err) {
    if (signal?.aborted === true) throw new WebhookDeliveryError(`webhook ${shown(url)}: the scheduler's time for this call ran out`, null, false, { cause: err })
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
    const detail = timedOut ? `no answer within ${opts.timeoutMs} ms` : (err instanceof Error ? err.message : String(err))
    return { ok: false, error: new WebhookDeliveryError(`webhook ${shown(url)}: ${detail}`, null, false, { cause: err }), retryAfterMs: 0 }
  }
  if (status >= 200 && status < 300) return { ok: true }
  const error = new WebhookDeliveryError(`webhook ${shown(url)} answered HTTP ${status}: ${text.slice(0, 200)}`, status, isPermanentStatus(status))
  if (error.permanent) throw error
  return { ok: false, error, retryAfterMs: retryAfterMs(retryAfter) }
}

/** Waits before the next delivery; when the scheduler's time runs out meanwhile, the last failure is what is thrown. */
async function pause (opts: Settings, ms: number, signal: AbortSignal | undefined, last: WebhookDeliveryError): Promise<void> {
  try {
    await opts.sleep(ms, signal)
  } catch {
    throw last
  }
}

/**
 * Delivers one message at least once: retried on network errors, timeouts, 408, 429 and 5xx with
 * backoff (or the receiver's shorter `Retry-After`), re-signed each time with a fresh timestamp
 * under the same `webhook-id`. Resolves on any 2xx; throws at once on another status, and after
 * the last attempt.
 */
async function deliver (url: string, message: Message, opts: Settings, signal?: AbortSignal): Promise<void> {
  let last: Delivery | undefined
  for (let n = 1; n <= opts.attempts; n++) {
    if (last !== undefined && !last.ok) await pause(opts, Math.max(opts.backoffMs(n - 1), last.retryAfterMs), signal, last.error)
    last = await deliverOnce(url, message, opts, signal)
    if (last.ok) return
    if (last.retryAfterMs > MAX_RETRY_AFTER_MS) throw last.error
  }
  const cause = last !== undefined && !last.ok ? last.error : undefined
  throw new WebhookDeliveryError(`${cause?.message ?? `webhook ${shown(url)}`} (gave up after ${opts.attempts} attempts)`, cause?.status ?? null, false, { cause })
}

const iso = (t: Instant): string => new Date(t).toISOString()

/** The `job.dispatch` message of a hand-over; see the README for the wire format. */
function dispatchMessage (h: Handover, callbackBase: string): Message {
  const { job, plan } = h
  const first = plan.segments[0]
  const last = plan.segments.at(-1)
  if (first === undefined || last === undefined) throw new Error(`job ${job.id} has no planned segment to dispatch`)
  const body = {
    type: 'job.dispatch',
    job: {
      id: job.id,
      attempt: h.attempt,
      name: job.name,
      command: job.command,
      payload: job.payload ?? null,
      gpus: job.gpus,
      durationMinutes: job.durationMinutes,
      deadline: iso(job.deadline),
      labels: job.labels,
      pool: h.pool.name,
      plannedStart: iso(first.start),
      plannedEnd: iso(last.end)
    },
    callbackUrl: `${callbackBase.replace(/\/+$/, '')}/v1/callbacks/jobs/${encodeURIComponent(job.id)}`
  }
  return { id: `${job.id}.${h.attempt}.dispatch`, body: JSON.stringify(body) }
}

/**
 * The push executor: a job is POSTed, signed (Standard Webhooks), to the pool's URL when its
 * window opens, and the receiver reports start, heartbeats and the end to the callback URL in the
 * message. A receiver must treat a repeated `webhook-id` as the same message: dispatch is
 * at-least-once. Nothing is polled.
 */
export function createWebhookExecutor (spec: WebhookSpec, options: WebhookOptions): Executor {
  const opts: Settings = {
    ...options,
    dispatcher: options.dispatcher,
    attempts: options.attempts ?? DEFAULT_ATTEMPTS,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    backoffMs: options.backoffMs ?? (n => defaultBackoffMs(n)),
    sleep: options.sleep ?? (async (ms, signal) => { await delay(ms, undefined, signal === undefined ? {} : { signal }) })
  }
  if (!Number.isInteger(opts.attempts) || opts.attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${opts.attempts}`)
  return {
    kind: 'webhook',
    leadMs: 0,
    dispatch: async (h, _now, signal) => {
      await deliver(spec.url, dispatchMessage(h, opts.callbackBase), opts, signal)
      return { ref: null }
    },
    cancel: async (h, signal) => {
      const body = JSON.stringify({ type: 'job.cancel', job: { id: h.job.id, attempt: h.attempt } })
      await deliver(spec.url, { id: `${h.job.id}.${h.attempt}.cancel`, body }, opts, signal)
    }
  }
}

import { request, type Dispatcher } from 'undici'
import { ProviderError, type ProviderErrorCode } from './provider.js'

/** How a provider client talks HTTP. Tests inject `dispatcher` (a MockAgent), `sleep` and `random`. */
export interface HttpOptions {
  /** undici dispatcher; default: undici's global one. */
  dispatcher?: Dispatcher | undefined
  /** Per attempt, ms. */
  timeoutMs: number
  /** Retries after the first attempt, on 429, 5xx, timeouts and network errors. */
  retries: number
  /** First backoff, ms; doubled each retry, capped at `maxDelayMs`, with full jitter. */
  baseDelayMs: number
  /** Cap on one backoff and on an honoured `Retry-After`, ms; a longer `Retry-After` fails at once. */
  maxDelayMs: number
  /** Waits `ms` (or rejects when `signal` aborts). Default: a real timer. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Uniform [0, 1) for jitter. */
  random: () => number
}

/**
 * 5 s per attempt (the intensity APIs answer in well under a second); 3 retries after backoffs of
 * up to 0.5, 1 and 2 s (full jitter), or what `Retry-After` asks for up to 30 s. Alone, a failing
 * call gives up within about 4 × 5 + 3 × 30 s; in a chain, the member's share of the chain's budget
 * (10 s by default, see `DEFAULT_CHAIN_BUDGET`) cuts it off sooner, through the request's signal.
 */
export const DEFAULT_HTTP: HttpOptions = {
  timeoutMs: 5_000,
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  sleep: async (ms, signal) => await new Promise<void>((resolve, reject) => {
    // An already aborted signal never fires 'abort' again: without this check the wait runs in full.
    if (signal?.aborted === true) { reject(signal.reason); return }
    const stop = (): void => { clearTimeout(timer); reject(signal?.reason) }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', stop); resolve() }, ms)
    signal?.addEventListener('abort', stop, { once: true })
  }),
  random: Math.random
}

/** One HTTP exchange's outcome, for clients that read status codes themselves. */
export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

/** One request as a provider client describes it. */
export interface HttpRequest {
  /** Provider id and zone, for errors and logs. */
  provider: string
  zone: string
  url: URL
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  signal?: AbortSignal | undefined
  /** Statuses returned to the caller instead of thrown (e.g. 401 to refresh a token, 400 to read a message). */
  accept?: readonly number[]
}

/** `partial` over `DEFAULT_HTTP`; keys set to undefined keep the default instead of erasing it. */
export function withDefaults (partial: Partial<HttpOptions> = {}): HttpOptions {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined))
  return { ...DEFAULT_HTTP, ...given }
}

/** `baseUrl` (which may carry a path prefix, e.g. behind a proxy) + `path` + query `params`. */
export function endpoint (baseUrl: string, path: string, params: Readonly<Record<string, string>> = {}): URL {
  const url = new URL(baseUrl.replace(/\/+$/, '') + path)
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
  return url
}

/**
 * `Retry-After` as delay-seconds or an HTTP date → ms from `now` (0 when absent or unparsable).
 * Only plain digits count as seconds: `Number()` alone would read '0x10' as 16 s.
 */
export function retryAfterMs (value: string | string[] | undefined, now = Date.now()): number {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (text === undefined || text === '') return 0
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isFinite(at) ? Math.max(0, at - now) : 0
}

function codeFor (status: number): ProviderErrorCode {
  if (status === 401 || status === 403) return 'unauthorized'
  if (status === 429) return 'rate-limited'
  if (status === 404) return 'unknown-zone'
  if (status >= 500) return 'unavailable'
  return 'bad-data'
}

const retryable = (status: number) => status === 429 || status >= 500

/** The URL as logged and put in errors: query values of secret-looking keys are masked. */
export function safeUrl (url: URL): string {
  const copy = new URL(url)
  for (const key of [...copy.searchParams.keys()]) {
    if (/token|key|secret|password|auth/i.test(key)) copy.searchParams.set(key, '***')
  }
  return `${copy.origin}${copy.pathname}${copy.search}`
}

async function attempt (req: HttpRequest, opts: HttpOptions): Promise<HttpResponse> {
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  const signal = req.signal === undefined ? timeout : AbortSignal.any([req.signal, timeout])
  const res = await request(req.url, {
    method: req.method ?? 'GET',
    headers: { accept: 'application/json', ...req.headers },
    ...(req.body === undefined ? {} : { body: req.body }),
    signal,
    ...(opts.dispatcher === undefined ? {} : { dispatcher: opts.dispatcher })
  })
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
}

function failure (req: HttpRequest, code: ProviderErrorCode, detail: string, cause?: unknown): ProviderError {
  return new ProviderError(req.provider, req.zone, code, `${req.provider} (zone ${req.zone}) ${req.method ?? 'GET'} ${safeUrl(req.url)}: ${detail}`, { cause })
}

/** One attempt: the response, a retryable failure (returned), or a final failure (thrown). */
async function exchange (req: HttpRequest, opts: HttpOptions): Promise<HttpResponse | ProviderError> {
  let res: HttpResponse
  try {
    res = await attempt(req, opts)
  } catch (err) {
    if (req.signal?.aborted === true) throw failure(req, 'timeout', 'aborted by the caller', err)
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
    return failure(req, timedOut ? 'timeout' : 'unavailable', timedOut ? `no answer within ${opts.timeoutMs} ms` : String(err instanceof Error ? err.message : err), err)
  }
  if ((res.status >= 200 && res.status < 300) || req.accept?.includes(res.status) === true) return res
  const error = failure(req, codeFor(res.status), `HTTP ${res.status}: ${res.text.slice(0, 200)}`)
  if (!retryable(res.status)) throw error
  error.retryAfterMs = retryAfterMs(res.headers['retry-after'])
  return error
}

/** Waits before retry number `retry` (1-based): full-jitter backoff, or longer if the provider asked. */
async function pause (req: HttpRequest, opts: HttpOptions, retry: number, last: ProviderError): Promise<void> {
  const backoff = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (retry - 1)) * opts.random()
  try {
    await opts.sleep(Math.max(backoff, last.retryAfterMs ?? 0), req.signal)
  } catch (err) {
    // The caller's budget ran out before the retry: what failed last is the cause (a 429 stays rate-limited).
    throw new ProviderError(req.provider, req.zone, last.code, `${last.message}; the caller's budget ran out before retry ${retry}`, { cause: err })
  }
}

/**
 * One request with bounded retries: 429 and 5xx (honouring `Retry-After`), timeouts and network
 * errors are retried with exponential backoff and full jitter; other non-2xx statuses throw at once
 * unless listed in `accept`. A `Retry-After` longer than `maxDelayMs` is not cut short (an early
 * retry only earns another 429): the error is thrown at once with `retryAfterMs` for the caller.
 * Errors name the provider and zone, never a secret.
 */
export async function send (req: HttpRequest, opts: HttpOptions = DEFAULT_HTTP): Promise<HttpResponse> {
  let last: ProviderError | undefined
  for (let i = 0; i <= opts.retries; i++) {
    if (last !== undefined) await pause(req, opts, i, last)
    const outcome = await exchange(req, opts)
    if (!(outcome instanceof ProviderError)) return outcome
    if ((outcome.retryAfterMs ?? 0) > opts.maxDelayMs) throw outcome
    last = outcome
  }
  throw last ?? failure(req, 'unavailable', `no attempt made (retries ${opts.retries})`)
}

/** A response body parsed as JSON (an empty body is null); a malformed body is a `bad-data` error. */
export function readJson (req: HttpRequest, res: HttpResponse): unknown {
  if (res.text.trim() === '') return null
  try {
    return JSON.parse(res.text) as unknown
  } catch (err) {
    throw failure(req, 'bad-data', `body is not JSON: ${res.text.slice(0, 120)}`, err)
  }
}

/** `send`, then the body parsed as JSON; a malformed body is a `bad-data` error. */
export async function sendJson (req: HttpRequest, opts: HttpOptions = DEFAULT_HTTP): Promise<{ status: number, body: unknown, headers: HttpResponse['headers'] }> {
  const res = await send(req, opts)
  return { status: res.status, body: readJson(req, res), headers: res.headers }
}

declare module './provider.js' {
  interface ProviderError {
    /** For 429/5xx: how long the provider asked us to wait (`Retry-After`), ms; 0 when it did not say. */
    retryAfterMs?: number
  }
}

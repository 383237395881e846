import { request, type Dispatcher } from 'undici'
import { isPermanentStatus } from './executor.js'
import { describeErrors, readErrors, type SlurmErrorEntry } from './slurm-api.js'

/**
 * Why a Slurm call failed: `unreachable` (network, timeout, 502-504), `unauthorized` (no or a
 * refused token: 401), `rejected` (Slurm answered with errors), `bad-reply` (not the JSON we know).
 */
export type SlurmErrorCode = 'unreachable' | 'unauthorized' | 'rejected' | 'bad-reply'

/**
 * A failed Slurm call. The message names the call and Slurm's errors; it never holds the token.
 * `status` is the HTTP status Slurm answered, when it answered; a 4xx other than 408/429 (a job
 * Slurm cannot parse or place, a refused token) is `permanent`: the same request will not pass.
 */
export class SlurmError extends Error {
  readonly permanent: boolean
  constructor (
    readonly code: SlurmErrorCode,
    message: string,
    readonly slurmErrors: readonly SlurmErrorEntry[] = [],
    options?: { cause?: unknown, status?: number }
  ) {
    super(message, options)
    this.name = 'SlurmError'
    this.permanent = options?.status !== undefined && isPermanentStatus(options.status)
  }
}

/** How the executor reaches slurmrestd. */
export interface SlurmClientOptions {
  /** slurmrestd's base URL, e.g. `http://127.0.0.1:6820`; a path prefix (behind a proxy) is kept. */
  url: string
  user: string
  token: string
  dispatcher?: Dispatcher | undefined
  /** Per attempt, ms. Default 10 s. */
  timeoutMs?: number | undefined
  /** Retries of a call that may be repeated, on network errors, timeouts and 502-504. Default 2. */
  retries?: number | undefined
  /** Waits between retries (250 ms, then 500 ms); tests pass their own. */
  sleep?: ((ms: number) => Promise<void>) | undefined
}

/** A reply whose errors the caller asked to see (e.g. unknown job, 2017) instead of a throw. */
export interface SlurmReply {
  status: number
  body: unknown
  errors: SlurmErrorEntry[]
}

/** One call to slurmrestd: `path` from `/slurm/...`, `body` sent as JSON. */
export interface SlurmCall {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  body?: unknown
  /** Slurm error numbers returned in the reply instead of thrown. */
  tolerate?: readonly number[]
  /** False for a submit: a retry after a lost answer could submit twice (dispatch finds it by marker instead). */
  repeatable?: boolean
  /** The caller's deadline: aborts the exchange and any retry. */
  signal?: AbortSignal | undefined
}

const realSleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/**
 * Slurm answers a bad or expired token with 500 and an unrelated error (-1 "Unable to find JobId",
 * 5005 "Zero Bytes were transmitted or received"), so those errors carry a hint.
 */
const TOKEN_HINT = ' (slurmrestd answers an invalid or expired X-SLURM-USER-TOKEN this way too)'
const hinted = (errors: readonly SlurmErrorEntry[]): boolean => errors.some(e => e.number === -1 || e.number === 5005)

type Redact = (s: string) => string

/** One HTTP exchange: status and body text, or an `unreachable` error. */
async function exchange (o: SlurmClientOptions, call: SlurmCall, timeoutMs: number, redact: Redact): Promise<{ status: number, raw: string }> {
  try {
    const res = await request(o.url.replace(/\/+$/, '') + call.path, {
      method: call.method,
      headers: {
        accept: 'application/json',
        // slurmrestd answers a body without a JSON content type with 400 "Unable to parse query."
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
        'x-slurm-user-name': o.user,
        'x-slurm-user-token': o.token
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: call.signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([call.signal, AbortSignal.timeout(timeoutMs)]),
      ...(o.dispatcher === undefined ? {} : { dispatcher: o.dispatcher })
    })
    return { status: res.statusCode, raw: await res.body.text() }
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
    const why = timedOut ? `no answer within ${timeoutMs} ms` : redact(err instanceof Error ? err.message : String(err))
    throw new SlurmError('unreachable', `Slurm ${call.method} ${call.path}: ${why}`, [], { cause: err })
  }
}

/** The reply, or the `SlurmError` it amounts to: a 200 with errors is a failure too. */
function interpret (o: SlurmClientOptions, call: SlurmCall, status: number, raw: string, redact: Redact): SlurmReply {
  const label = `Slurm ${call.method} ${call.path}`
  if (status === 401) throw new SlurmError('unauthorized', `${label}: HTTP 401 ${redact(raw.slice(0, 100))} (user ${o.user}; is the token set and current?)`, [], { status })
  if (status >= 502 && status <= 504) throw new SlurmError('unreachable', `${label}: HTTP ${status}`)
  let body: unknown
  try {
    body = JSON.parse(raw) as unknown
  } catch {
    throw new SlurmError('bad-reply', `${label}: HTTP ${status}, not JSON: ${redact(raw.slice(0, 120))}`, [], { status })
  }
  const errors = readErrors(body)
  const tolerated = errors.length > 0 && errors.every(e => e.number !== null && call.tolerate?.includes(e.number) === true)
  if ((status >= 200 && status < 300 && errors.length === 0) || tolerated) return { status, body, errors }
  const what = errors.length === 0 ? 'no error given' : redact(describeErrors(errors)) + (hinted(errors) ? TOKEN_HINT : '')
  throw new SlurmError('rejected', `${label}: HTTP ${status}: ${what}`, errors, { status })
}

/**
 * A client for one slurmrestd and one user: `call` resolves with the reply or throws a
 * `SlurmError`. Repeatable calls are retried twice on network errors, timeouts and 502-504; a 500 is
 * Slurm's answer (unknown job, bad partition, bad token), so it is not.
 */
export function slurmClient (o: SlurmClientOptions): (call: SlurmCall) => Promise<SlurmReply> {
  const timeoutMs = o.timeoutMs ?? 10_000
  const retries = o.retries ?? 2
  const sleep = o.sleep ?? realSleep
  // Slurm does not echo the token, but undici errors and proxies might: it never leaves this module.
  const redact: Redact = s => o.token.length >= 8 ? s.split(o.token).join('***') : s
  return async call => {
    for (let attempt = 0; ; attempt++) {
      try {
        const { status, raw } = await exchange(o, call, timeoutMs, redact)
        return interpret(o, call, status, raw, redact)
      } catch (err) {
        const again = err instanceof SlurmError && err.code === 'unreachable' && call.repeatable !== false && attempt < retries && call.signal?.aborted !== true
        if (!again) throw err
        await sleep(250 * 2 ** attempt)
      }
    }
  }
}

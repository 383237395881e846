import { request, type Dispatcher } from 'undici'
import { DEFAULT_HTTP, retryAfterMs } from '../providers/http.js'
import { parseClaim, type Claim } from './job.js'

/** A failed agent API call. `transient` failures (network, timeout, 408, 429, 5xx) were worth retrying. */
export class AgentApiError extends Error {
  constructor (
    message: string,
    /** HTTP status, or null when no answer came (network error, timeout, aborted). */
    readonly status: number | null,
    readonly transient: boolean,
    readonly retryAfterMs = 0
  ) {
    super(message)
    this.name = 'AgentApiError'
  }
}

/** What the agent sends while a job runs. */
export interface Beat {
  attempt: number
  /** The claim secret of the run (`Claim.secret`). */
  claim: string
  progress: number | null
  powerW: number | null
  energyKwh: number | null
}

/** What the agent sends when a job ended. Instants as RFC 3339 text. */
export interface Completion {
  attempt: number
  /** The claim secret of the run (`Claim.secret`). */
  claim: string
  exitCode: number | null
  startedAt: string
  finishedAt: string
  energyKwh: number | null
  samples: number
  detail: string | null
  /** The agent was stopped, not the job: the server plans the job again instead of failing it. */
  requeue?: boolean
}

/** `superseded`: the server answered 409, the attempt is no longer current and the run must stop. */
export type BeatAnswer = 'continue' | 'cancel' | 'superseded'

/** The job's state after the report, or `superseded` (409: the server no longer expects this attempt). */
export type CompleteAnswer = { state: string } | 'superseded'

/** How long each kind of call keeps retrying transient failures, ms. */
export interface RetryBudget {
  budgetMs: number
  signal?: AbortSignal | undefined
}

/** The three calls of the agent API; the loop and its tests depend on this, not on HTTP. */
export interface AgentApi {
  /** The next job of the token's pool, or null after `waitSeconds` of long-polling found none. */
  claim: (body: { agent: string, waitSeconds: number, gpus?: number }, retry: RetryBudget) => Promise<Claim | null>
  heartbeat: (jobId: string, beat: Beat, retry: RetryBudget) => Promise<BeatAnswer>
  complete: (jobId: string, end: Completion, retry: RetryBudget) => Promise<CompleteAnswer>
}

/** Connection settings. Tests may inject the dispatcher, `sleep` and `random`. */
export interface ClientOptions {
  server: string
  /** The pool token; sent only in the Authorization header, never in messages. */
  token: string
  dispatcher?: Dispatcher | undefined
  /** Per attempt, ms, on top of a claim's long-poll. */
  timeoutMs?: number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  random?: () => number
  now?: () => number
}

const BASE_DELAY_MS = 500
const MAX_DELAY_MS = 30_000

function problemText (status: number, text: string): string {
  try {
    const problem = JSON.parse(text) as { title?: unknown, detail?: unknown }
    const parts = [problem.title, problem.detail].filter(p => typeof p === 'string' && p !== '')
    if (parts.length > 0) return `HTTP ${status} ${parts.join(': ')}`
  } catch { /* not problem+json: show the start of the body */ }
  return `HTTP ${status} ${text.slice(0, 200)}`
}

/** `ClientOptions` with every default filled in. */
type Connection = Required<Omit<ClientOptions, 'dispatcher'>> & Pick<ClientOptions, 'dispatcher'>

interface Reply { status: number, text: string }

/** One POST; 2xx and 409 are answers, anything else throws an `AgentApiError` saying whether to retry. */
async function post (c: Connection, path: string, body: unknown, extraMs: number, signal: AbortSignal | undefined): Promise<Reply> {
  const what = `POST ${path}`
  const timeout = AbortSignal.timeout(c.timeoutMs + extraMs)
  let res: Dispatcher.ResponseData
  try {
    res = await request(c.server.replace(/\/+$/, '') + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      ...(c.dispatcher === undefined ? {} : { dispatcher: c.dispatcher })
    })
  } catch (err) {
    if (signal?.aborted === true) throw new AgentApiError(`${what}: aborted`, null, false)
    const reason = timeout.aborted ? `no answer within ${c.timeoutMs + extraMs} ms` : (err instanceof Error ? err.message : String(err))
    throw new AgentApiError(`${what}: ${reason}`, null, true)
  }
  const text = await res.body.text()
  const status = res.statusCode
  if ((status >= 200 && status < 300) || status === 409) return { status, text }
  const transient = status === 408 || status === 429 || status >= 500
  throw new AgentApiError(`${what}: ${problemText(status, text)}`, status, transient, retryAfterMs(res.headers['retry-after'], c.now()))
}

/**
 * `post` with retries of transient failures: exponential backoff (0.5 s doubling to 30 s, jittered
 * between half and all of it, or longer if `Retry-After` says so) until the budget would be exceeded.
 */
async function send (c: Connection, path: string, body: unknown, retry: RetryBudget, extraMs = 0): Promise<Reply> {
  const started = c.now()
  for (let n = 0; ; n++) {
    try {
      return await post(c, path, body, extraMs, retry.signal)
    } catch (err) {
      if (!(err instanceof AgentApiError) || !err.transient) throw err
      const delay = Math.max(Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** n) * (0.5 + c.random() / 2), err.retryAfterMs)
      if (c.now() - started + delay > retry.budgetMs) throw err
      try {
        await c.sleep(delay, retry.signal)
      } catch {
        throw new AgentApiError(`${err.message} (aborted while waiting to retry)`, null, false)
      }
    }
  }
}

const json = (text: string): unknown => {
  try { return JSON.parse(text) } catch { return undefined }
}

/**
 * The agent API over undici. Every call retries transient failures (network, timeouts, 408, 429,
 * 5xx) within the budget the caller gives; other 4xx answers fail at once, 409 is an answer.
 */
export function agentClient (opts: ClientOptions): AgentApi {
  const c: Connection = {
    server: opts.server,
    token: opts.token,
    dispatcher: opts.dispatcher,
    timeoutMs: opts.timeoutMs ?? 15_000,
    sleep: opts.sleep ?? DEFAULT_HTTP.sleep,
    random: opts.random ?? Math.random,
    now: opts.now ?? Date.now
  }
  const job = (id: string, what: string) => `/v1/agent/jobs/${encodeURIComponent(id)}/${what}`
  return {
    async claim (body, retry) {
      const res = await send(c, '/v1/agent/claim', body, retry, body.waitSeconds * 1000)
      if (res.status === 204) return null
      if (res.status === 409) throw new AgentApiError(`POST /v1/agent/claim: ${problemText(409, res.text)}`, 409, false)
      return parseClaim(json(res.text))
    },
    async heartbeat (jobId, beat, retry) {
      const res = await send(c, job(jobId, 'heartbeat'), beat, retry)
      if (res.status === 409) return 'superseded'
      return (json(res.text) as { cancel?: unknown } | undefined)?.cancel === true ? 'cancel' : 'continue'
    },
    async complete (jobId, end, retry) {
      const res = await send(c, job(jobId, 'complete'), end, retry)
      if (res.status === 409) return 'superseded'
      const state = (json(res.text) as { state?: unknown } | undefined)?.state
      return { state: typeof state === 'string' ? state : 'unknown' }
    }
  }
}

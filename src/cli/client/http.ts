import type { Endpoint } from './args.js'

/** A request the server has answered for longer than this is given up: 30 s is far beyond any route's work. */
const TIMEOUT_MS = 30_000

/** The server answered 4xx/5xx: exit code 1. The message is the problem's title, detail and fields. */
export class ServerError extends Error {
  constructor (readonly status: number, message: string) {
    super(message)
  }
}

/** No answer from the server (refused, DNS, TLS, timeout): exit code 3. The message names the URL and where it came from. */
export class UnreachableError extends Error {}

export interface Request {
  query?: Record<string, string | number | undefined>
  body?: unknown
  headers?: Record<string, string>
  /** The API's field names as the user typed them, e.g. `{ durationMinutes: '--duration' }`. */
  flags?: Record<string, string>
}

export interface Answer {
  status: number
  headers: Headers
  text: string
}

/** The URL without a password, for messages. */
function shown (url: string): string {
  const u = new URL(url)
  if (u.password !== '') u.password = '***'
  return u.toString().replace(/\/$/, '')
}

function whence (endpoint: Endpoint): string {
  return endpoint.source === 'default' ? 'the default URL; set GREENSHIFT_URL or --url' : `from ${endpoint.source}`
}

/** One API call; throws ServerError on 4xx/5xx, UnreachableError when there is no answer. Never puts the key in a message. */
export async function call (endpoint: Endpoint, method: string, path: string, req: Request = {}): Promise<Answer> {
  const query = Object.entries(req.query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined)
  const search = query.length === 0 ? '' : '?' + new URLSearchParams(query.map(([k, v]): [string, string] => [k, String(v)])).toString()
  const headers: Record<string, string> = { authorization: `Bearer ${endpoint.key}`, accept: 'application/json', ...req.headers }
  if (req.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(endpoint.url + path + search, {
      method,
      headers,
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS)
    })
  } catch (err) {
    const e = err as Error & { cause?: { code?: string, message?: string } }
    const why = e.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : e.cause?.message ?? e.cause?.code ?? e.message
    throw new UnreachableError(`cannot reach the server at ${shown(endpoint.url)} (${whence(endpoint)}): ${why}`)
  }
  const text = await res.text()
  if (res.status >= 400) throw new ServerError(res.status, problemLine(method, path, res.status, text, req.flags ?? {}))
  return { status: res.status, headers: res.headers, text }
}

/** `call` for a JSON answer. */
export async function callJson<T> (endpoint: Endpoint, method: string, path: string, req: Request = {}): Promise<{ status: number, headers: Headers, json: T, text: string }> {
  const answer = await call(endpoint, method, path, req)
  try {
    return { ...answer, json: JSON.parse(answer.text) as T }
  } catch {
    throw new ServerError(answer.status, `${method} ${path} answered ${answer.status} with something other than JSON: is ${shown(endpoint.url)} a greenshift server?`)
  }
}

interface Problem { title?: unknown, detail?: unknown, errors?: unknown }

/**
 * One line from an RFC 9457 problem: `422 Unprocessable Content: deadline: must be … (field deadline, from --deadline)`.
 * An answer that is not a problem (a proxy's HTML page) is shown by its status and first words.
 */
export function problemLine (method: string, path: string, status: number, text: string, flags: Record<string, string>): string {
  let problem: Problem = {}
  try { problem = JSON.parse(text) as Problem } catch { /* not JSON: the text itself is shown */ }
  const title = typeof problem.title === 'string' ? problem.title : (status >= 500 ? 'server error' : 'refused')
  const detail = typeof problem.detail === 'string' ? problem.detail : text.replace(/\s+/g, ' ').trim().slice(0, 200)
  const fields = Array.isArray(problem.errors)
    ? [...new Set(problem.errors.map(e => (e as { field?: unknown }).field).filter((f): f is string => typeof f === 'string'))]
    : []
  const named = fields.map(f => {
    // The most specific name known: work.seqLen, then pools[1] as pools, rows[1] for rows[1].duration, then the top-level field.
    const flag = flags[f] ?? flags[f.replace(/\[\d+\]/g, '')] ?? flags[f.replace(/\..*$/, '')] ?? flags[f.replace(/[[.].*$/, '')]
    return flag === undefined ? `field ${f}` : `field ${f}, from ${flag}`
  })
  const hint = status === 401 ? ' (check GREENSHIFT_API_KEY or --key)' : ''
  return `${method} ${path}: ${status} ${title}: ${detail}${named.length > 0 ? ` (${named.join('; ')})` : ''}${hint}`
}

/**
 * SQLSTATE classes and codes that mean "the database is not there right now", not "this query is
 * wrong": connection exceptions (08…), an administrator or crash shutdown (57P01, 57P02), a server
 * still starting or in recovery (57P03), too many connections (53300).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300'])
/** Node socket errors of a server that is down, restarting or unreachable. */
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
/** What `pg` says, without a code, when a connection dies or cannot be had in time. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection terminated due to connection timeout'
]

/**
 * Whether `err` (or its cause) says the database cannot be reached right now, so that the caller
 * answers 503 and tries again later instead of treating it as a bug. Query errors (syntax,
 * constraint violations, serialization failures) are not unavailability.
 */
export function isDatabaseUnavailable (err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (typeof e !== 'object') return false
    const { code, message, cause } = e as { code?: unknown, message?: unknown, cause?: unknown }
    if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return true
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some(m => message.includes(m))) return true
    e = cause
  }
  return false
}

/** SQLSTATEs of a connection the server turned away: bad password or role (28…), no such database (3D000). */
const REFUSED_SQLSTATES = ['28000', '28P01', '3D000']

/** `url` without its password, to name in a message. */
export function redactedUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(a value that is not a URL)'
  }
}

/**
 * The first contact with DATABASE_URL failed: an error that names the variable, the server it
 * points at (no password) and what to check, or undefined when `err` is not about reaching it.
 */
export function unreachableDatabase (url: string, err: unknown): Error | undefined {
  const { code, message } = (err ?? {}) as { code?: unknown, message?: unknown }
  const refused = typeof code === 'string' && REFUSED_SQLSTATES.includes(code)
  if (!refused && !isDatabaseUnavailable(err)) return undefined
  const why = typeof message === 'string' && message !== '' ? message : String(code)
  const hint = refused ? 'check the user, password and database name in it' : 'is PostgreSQL running there, and do the host and port in DATABASE_URL reach it?'
  return new Error(`DATABASE_URL ${redactedUrl(url)}: ${refused ? 'the server refused the connection' : 'cannot connect'} (${why}); ${hint}`, { cause: err })
}

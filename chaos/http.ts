/** What one HTTP call got: a status (with the headers the goals look at), or why there was none. */
export type Answer =
  | { ok: true, status: number, body: unknown, retryAfter: string | null, contentType: string | null, ms: number }
  | { ok: false, error: string, ms: number }

/** The histogram label of an answer: its status, or its failure (ECONNREFUSED, ECONNRESET, timeout …). */
export const labelOf = (a: Answer): string => a.ok ? String(a.status) : a.error

function failure (err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout'
  const cause = (err as { cause?: { code?: string } }).cause
  return cause?.code ?? (err instanceof Error ? err.message : String(err))
}

/** One request with a client timeout; never throws. JSON bodies are parsed, others kept as text. */
export async function call (url: string, init: { method?: string, headers?: Record<string, string>, body?: unknown, timeoutMs?: number } = {}): Promise<Answer> {
  const started = Date.now()
  const headers = { ...init.headers, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) }
  try {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      signal: AbortSignal.timeout(init.timeoutMs ?? 15_000),
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
    })
    const text = await res.text()
    const contentType = res.headers.get('content-type')
    let body: unknown = text
    if (contentType?.includes('json') === true) {
      try { body = JSON.parse(text) } catch { body = text }
    }
    return { ok: true, status: res.status, body, retryAfter: res.headers.get('retry-after'), contentType, ms: Date.now() - started }
  } catch (err) {
    return { ok: false, error: failure(err), ms: Date.now() - started }
  }
}

/** Polls `probe` every `everyMs` until it gives a value or `ms` pass; undefined on time-out. */
export async function until<T> (ms: number, everyMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const end = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined || Date.now() >= end) return value
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

// The API as the dashboard uses it: the key kept in this tab's sessionStorage (gone when the tab
// closes), every call a fetch with `Authorization: Bearer`, every refusal the server's own words.

const KEY = 'greenshift.apiKey'

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (key: string): void => { sessionStorage.setItem(KEY, key) },
  signOut: (): void => { sessionStorage.removeItem(KEY) }
}

/** A refusal: `message` is the problem's detail, with each field the server named. */
export class ApiError extends Error {
  constructor (readonly status: number, message: string) { super(message) }
}

interface Problem { title?: string, detail?: string, errors?: Array<{ field: string, message: string }> }

function problemText (status: number, body: Problem | null): string {
  if (body === null) return `HTTP ${status}`
  const fields = (body.errors ?? []).map(e => `${e.field} ${e.message}`)
  const detail = body.detail ?? body.title ?? `HTTP ${status}`
  // The detail usually repeats a single field's message; list the fields only when they add to it.
  const extra = fields.filter((f, i) => !detail.includes(f) && !detail.includes(body.errors?.[i]?.message ?? f))
  return extra.length > 0 ? `${detail} (${extra.join('; ')})` : detail
}

/** Calls the API with `key` (default: the session's); JSON in, JSON out. */
export async function api<T> (path: string, opts: { method?: string, body?: unknown, key?: string, headers?: Record<string, string> } = {}): Promise<T> {
  const key = opts.key ?? session.key() ?? ''
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'application/json', ...opts.headers }
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { method: opts.method ?? 'GET', headers, body: opts.body === undefined ? null : JSON.stringify(opts.body) })
  const text = await res.text()
  let body: unknown = null
  try { body = text === '' ? null : JSON.parse(text) } catch { body = null }
  if (!res.ok) throw new ApiError(res.status, problemText(res.status, body as Problem | null))
  return body as T
}

/** Every page of GET /v1/jobs, newest first, until `enough` says stop or `maxPages` pages (200 jobs each). */
export async function listJobs<J extends { submittedAt: string }> (enough: (oldest: J) => boolean, maxPages = 5): Promise<J[]> {
  const jobs: J[] = []
  let cursor: string | null = null
  for (let page = 0; page < maxPages; page++) {
    const q: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`
    const res: { jobs: J[], nextCursor: string | null } = await api(`/v1/jobs?limit=200${q}`)
    jobs.push(...res.jobs)
    const oldest = res.jobs.at(-1)
    cursor = res.nextCursor
    if (cursor === null || oldest === undefined || enough(oldest)) break
  }
  return jobs
}

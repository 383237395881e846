import type { FastifyRequest } from 'fastify'
import { invalidField } from '../errors.js'

/** A string or key that is not well-formed Unicode, by its field path (`labels.team`, `command[1]`). */
export interface IllFormed {
  /** The path of the string, or of the object holding the key; '' for the value itself. */
  path: string
  /** Whether it is a key of the object at `path` rather than a string value. */
  key: boolean
}

const child = (path: string, key: string): string => path === '' ? key : `${path}.${key}`

/**
 * The first string or object key in `value` (parsed JSON, a query or params object) holding a lone
 * UTF-16 surrogate (`"\ud800"`, `"a\udc00b"`), in document order; undefined when every one is
 * well-formed. Such strings have no UTF-8 form: PostgreSQL refuses them in jsonb (a 500) and the
 * driver silently replaces them with U+FFFD in text. Iterative, so a body nested 100,000 deep
 * (1 MiB allows it) cannot overflow the stack.
 */
export function findIllFormed (value: unknown): IllFormed | undefined {
  const stack: Array<[unknown, string]> = [[value, '']]
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [v, path] = next
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return { path, key: false }
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`])
    } else if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v)
      if (entries.some(([k]) => !k.isWellFormed())) return { path, key: true }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, item] = entries[i]!
        stack.push([item, child(path, k)])
      }
    }
  }
  return undefined
}

/**
 * preValidation hook for every route: params, query string and body must be well-formed Unicode,
 * keys included, or the request is a 400 naming the field before anything reads or stores it.
 */
export async function refuseIllFormedUnicode (request: FastifyRequest): Promise<void> {
  const parts: Array<[string, unknown]> = [['params', request.params], ['query', request.query], ['body', request.body]]
  for (const [part, value] of parts) {
    const found = findIllFormed(value)
    if (found === undefined) continue
    // A path 100,000 levels deep names nothing a client can use: its first 200 characters do.
    const field = found.path === '' ? part : found.path.length > 200 ? `${found.path.slice(0, 200)}…` : found.path
    throw invalidField(field, found.key
      ? 'has a key that is not well-formed Unicode (a lone UTF-16 surrogate)'
      : 'is not well-formed Unicode (a lone UTF-16 surrogate)', 400)
  }
}

/** One problem with one field of a request, named as a JSON pointer-ish path (`pools[1]`, `deadline`). */
export interface FieldProblem {
  field: string
  message: string
}

/**
 * An expected client-facing failure. Thrown by routes and services; the error handler renders it as
 * RFC 9457 problem+json with a stable `type` slug.
 */
export class ApiError extends Error {
  constructor (
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldProblem[] = [],
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** 400/422 naming one field. */
export function invalidField (field: string, message: string, status = 422): ApiError {
  return new ApiError(status, 'invalid-field', `${field}: ${message}`, [{ field, message }])
}

export function notFound (what: string): ApiError {
  return new ApiError(404, 'not-found', `${what} not found`)
}

/** What a caught value says, for logs and events: an Error's message, anything else as text. */
export function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

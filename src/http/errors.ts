import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError, type FieldProblem } from '../errors.js'
import { InvalidCursorError } from '../store/jobs.js'
import { isDatabaseUnavailable } from '../store/unavailable.js'
import { problemsOf, type AjvIssue } from './validation-messages.js'

/** What a client is told to wait before trying again while the database is away: a restart takes a few seconds. */
export const DATABASE_RETRY_AFTER_SECONDS = 5

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable'
}

function send (reply: FastifyReply, status: number, code: string, detail: string, errors: FieldProblem[] = []): FastifyReply {
  const body: Record<string, unknown> = {
    type: `https://greenshift.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance: reply.request.url
  }
  if (errors.length > 0) body.errors = errors
  return reply.status(status).type('application/problem+json').send(body)
}

/** Ajv's `instancePath` `/pools/1` plus `missingProperty` → `pools[1]`, the name clients recognise. */
function fieldOf (context: string | undefined, v: { instancePath: string, params: Record<string, unknown> }): string {
  const parts = v.instancePath.split('/').filter(p => p !== '')
  const extra = v.params.missingProperty ?? v.params.additionalProperty
  if (typeof extra === 'string') parts.push(extra)
  const path = parts.map((p, i) => /^\d+$/.test(p) ? `[${p}]` : (i === 0 ? p : `.${p}`)).join('')
  if (path !== '') return path
  return context === 'body' ? 'body' : (context ?? 'request')
}

function validationProblems (error: FastifyError): FieldProblem[] {
  return problemsOf((error.validation ?? []) as AjvIssue[], issue => fieldOf(error.validationContext, issue))
}

/** Installs the single error handler and the 404 handler; 5xx never leak internals. */
export function installErrorHandling (app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) {
      for (const [k, v] of Object.entries(error.headers)) void reply.header(k, v)
      return send(reply, error.status, error.code, error.message, error.errors)
    }
    if (error instanceof InvalidCursorError) {
      return send(reply, 400, 'invalid-cursor', error.message, [{ field: 'cursor', message: 'is not a cursor this API returned' }])
    }
    if (error.validation) {
      const errors = validationProblems(error)
      const detail = errors.map(e => `${e.field} ${e.message}`).join('; ')
      return send(reply, 400, 'invalid-request', detail, errors)
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error.message }, 'database unavailable')
      void reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
      return send(reply, 503, 'database-unavailable', `the database is unreachable; try again in ${DATABASE_RETRY_AFTER_SECONDS} s (a POST with the same Idempotency-Key is safe to repeat)`)
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      const code = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body-too-large'
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported-media-type'
          : error.code?.startsWith('FST_ERR_CTP') === true ? 'invalid-body' : 'bad-request'
      if (code === 'unsupported-media-type') {
        const sent = request.headers['content-type']
        const detail = `send the body as JSON with the header Content-Type: application/json (this request's type: ${sent === undefined ? 'none' : JSON.stringify(sent)}; curl -d sends application/x-www-form-urlencoded unless told otherwise with -H)`
        return send(reply, status, code, detail, [{ field: 'content-type', message: 'must be application/json' }])
      }
      const field = code === 'invalid-body' || code === 'body-too-large' ? 'body' : 'request'
      return send(reply, status, code, error.message, [{ field, message: error.message }])
    }
    request.log.error({ err: error }, 'unhandled error')
    return send(reply, 500, 'internal', 'an internal error occurred; it has been logged')
  })
  app.setNotFoundHandler((request, reply) => {
    return send(reply, 404, 'not-found', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`)
  })
}

import { STATUS_CODES, type ServerOptions } from 'node:http'
import type { Socket } from 'node:net'
import { PassThrough } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions, RequestPayload } from 'fastify'
import type { HttpLimits } from '../config.js'
import { ApiError } from '../errors.js'

const problem = (status: number, code: string, detail: string): string => JSON.stringify({
  type: `https://greenshift.dev/problems/${code}`, title: STATUS_CODES[status], status, detail
})

/**
 * Answers what Node's HTTP parser refuses before any route sees it, as problem+json like every
 * other error, and closes the connection: a request that did not arrive in time (408), headers
 * too large (431), or bytes that are not HTTP (400).
 */
function clientError (this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset peer has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, detail] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'request-timeout', 'the request did not arrive in time; send headers and body without pauses']
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers-too-large', 'the request headers are too large']
      : [400, 'bad-request', 'the request is not valid HTTP/1.1']
  this.log.debug({ err: err.message, status }, 'client error')
  const body = problem(status, code, detail)
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  }
  socket.destroy(err)
}

/**
 * Fastify options that time out slow requests. Node's HTTP server refuses with 408 a request
 * whose headers or whole body have not arrived within the limits, checking its connections every
 * quarter of the headers timeout (at most every second), so a request 1 byte every 2 s is
 * answered at most a second late. Only receiving is timed: once a request is in, answering it may
 * take as long as it needs (an agent's claim long-polls up to 30 s).
 */
export function timeoutOptions (limits: HttpLimits): Pick<FastifyServerOptions, 'requestTimeout' | 'clientErrorHandler'> & { http: ServerOptions } {
  return {
    requestTimeout: limits.bodyTimeoutMs,
    http: {
      requestTimeout: limits.bodyTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)))
    },
    clientErrorHandler: clientError
  }
}

/** 408, with the connection closed: the rest of the body would otherwise be read as the next request. */
function tooSlow (ms: number): ApiError {
  const detail = `the request body did not arrive within ${ms} ms`
  return new ApiError(408, 'request-timeout', detail, [{ field: 'body', message: detail }], { connection: 'close' })
}

/**
 * A preParsing hook giving a route's requests `ms` from their first byte to their last, tighter
 * than the server's limit: the body is passed through a stream that fails with 408 when time is
 * up, which the error handler answers like any other error. The clock stops when the body is in,
 * or the request is answered without reading it (a 401, a 429).
 */
export function bodyDeadline (ms: number) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: RequestPayload): Promise<RequestPayload> => {
    if (request.headers['content-length'] === undefined && request.headers['transfer-encoding'] === undefined) return payload
    const body = new PassThrough()
    const timer = setTimeout(() => {
      payload.unpipe(body)
      body.destroy(tooSlow(ms))
    }, Math.max(0, ms - reply.elapsedTime))
    const stop = (): void => { clearTimeout(timer) }
    body.once('finish', stop).once('close', stop)
    reply.raw.once('close', stop)
    // The body parser listens while it reads; an error after it stopped reading has nobody to tell.
    body.on('error', () => {})
    payload.once('error', err => body.destroy(err))
    payload.pipe(body)
    return body
  }
}

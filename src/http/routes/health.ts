import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import { Type } from 'typebox'
import type { AppDeps } from '../app.js'
import { DATABASE_RETRY_AFTER_SECONDS } from '../errors.js'
import { Problem } from '../schemas.js'

const Health = Type.Object({ status: Type.String() })

export function healthRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.get('/healthz', {
      schema: { operationId: 'healthz', tags: ['health'], summary: 'The process is alive', security: [], response: { 200: Health } }
    }, async () => ({ status: 'ok' }))

    app.get('/readyz', {
      schema: { operationId: 'readyz', tags: ['health'], summary: 'The database answers and start-up is done', security: [], response: { 200: Health, 503: Problem } }
    }, async (_request, reply) => {
      let dbOk = false
      try {
        await sql`select 1`.execute(deps.store.db)
        dbOk = true
      } catch {
        dbOk = false
      }
      if (!dbOk || !deps.ready()) {
        return reply.status(503).header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS)).type('application/problem+json').send({
          type: 'https://greenshift.dev/problems/not-ready', title: 'Service Unavailable', status: 503,
          detail: dbOk ? 'starting up' : 'database unreachable'
        })
      }
      return { status: 'ready' }
    })
  }
}

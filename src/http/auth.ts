import type { FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../errors.js'
import { findApiKey } from '../store/api-keys.js'
import type { Store } from '../store/db.js'

export type Scope = 'submit' | 'read' | 'admin'

/** Who is calling: resolved from the bearer key on every /v1 request. */
export interface Principal {
  keyId: string
  tenantId: string
  scopes: Scope[]
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
}

const unauthorized = (detail: string) =>
  new ApiError(401, 'unauthorized', detail, [{ field: 'Authorization', message: detail }], { 'www-authenticate': 'Bearer realm="greenshift"' })

/** onRequest hook: `Authorization: Bearer <key>` → principal, or 401. */
export function authenticate (store: Store) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization
    if (header === undefined) throw unauthorized('missing Authorization: Bearer <key> header')
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (match?.[1] === undefined) throw unauthorized('Authorization must be "Bearer <key>"')
    const key = await findApiKey(store.db, match[1])
    if (key === undefined) throw unauthorized('unknown or revoked API key')
    request.principal = { keyId: key.id, tenantId: key.tenantId, scopes: key.scopes as Scope[] }
  }
}

/** The caller's principal, which must carry `scope` (admin implies every scope). */
export function requireScope (request: FastifyRequest, scope: Scope): Principal {
  const p = request.principal
  if (p === undefined) throw unauthorized('not authenticated')
  if (!p.scopes.includes(scope) && !p.scopes.includes('admin')) {
    throw new ApiError(403, 'forbidden', `this key lacks the "${scope}" scope`)
  }
  return p
}

/** A preHandler that checks one scope, for route options. */
export function scoped (scope: Scope) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    requireScope(request, scope)
  }
}

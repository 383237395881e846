import type { FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../errors.js'
import { lookUpKey } from './key-cache.js'
import type { Store } from '../store/db.js'
import type { ApiScope } from '../store/schema.js'

/**
 * What a key may do. `submit` and `read` act within the key's tenant; `admin` manages that
 * tenant's keys and implies its submit and read; `operator` runs the deployment (pools, agent
 * tokens, tenants, every tenant's keys and cross-tenant reports) and implies nothing within a
 * tenant: an operator key submits or reads jobs only if it carries those scopes too.
 */
export type Scope = ApiScope

/** The scopes that satisfy a required one: admin stands in for its tenant's submit and read. */
const SATISFIED_BY: Readonly<Record<Scope, readonly Scope[]>> = {
  submit: ['submit', 'admin'],
  read: ['read', 'admin'],
  admin: ['admin'],
  operator: ['operator']
}

/** Who is calling: resolved from the bearer key on every /v1 request. */
export interface Principal {
  keyId: string
  tenantId: string
  scopes: Scope[]
  /** The tenant's home pool, read with the key (and kept with it, see `lookUpKey`); null: none set. */
  homePool: string | null
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
    const key = await lookUpKey(store, match[1])
    if (key === undefined) throw unauthorized('unknown or revoked API key')
    request.principal = { keyId: key.id, tenantId: key.tenantId, scopes: key.scopes as Scope[], homePool: key.homePool }
  }
}

/**
 * The home pool of the caller's tenant (null: none set, or not authenticated): the baseline pool of
 * its jobs that name no preferred pool. Known from authentication, without another query.
 */
export function homePoolOf (request: FastifyRequest): string | null {
  return request.principal?.homePool ?? null
}

/** Whether a principal may act with `scope` (see `Scope` for what implies what). */
export function hasScope (p: Principal, scope: Scope): boolean {
  return SATISFIED_BY[scope].some(s => p.scopes.includes(s))
}

/** The caller's principal, which must hold one of `scopes`; the 403 names the missing scope. */
export function requireScope (request: FastifyRequest, ...scopes: [Scope, ...Scope[]]): Principal {
  const p = request.principal
  if (p === undefined) throw unauthorized('not authenticated')
  if (!scopes.some(s => hasScope(p, s))) {
    const names = scopes.map(s => `"${s}"`).join(' or ')
    throw new ApiError(403, 'forbidden', `this key lacks the ${names} scope`, [{ field: 'Authorization', message: `the key needs the ${names} scope` }])
  }
  return p
}

/** A preHandler that checks one scope, for route options. */
export function scoped (scope: Scope) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    requireScope(request, scope)
  }
}

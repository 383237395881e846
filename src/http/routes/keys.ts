import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ApiError, invalidField, notFound } from '../../errors.js'
import { createApiKey, getApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../../store/api-keys.js'
import { forgetKeys } from '../key-cache.js'
import { getTenant, type Tenant } from '../../store/tenants.js'
import { ApiKey, ApiKeyInput, CreatedApiKey, TenantRef } from '../access-schemas.js'
import type { AppDeps } from '../app.js'
import { hasScope, requireScope, type Principal } from '../auth.js'
import { iso } from '../present.js'
import { errorResponses, Problem } from '../schemas.js'

const present = (key: ApiKeyInfo, tenant: string) => ({
  id: key.id,
  name: key.name,
  tenant,
  prefix: key.prefix,
  scopes: key.scopes,
  createdAt: iso(key.createdAt.getTime()),
  revokedAt: key.revokedAt === null ? null : iso(key.revokedAt.getTime())
})

/** A tenant admin's (or operator's) principal: only they manage keys. */
const keyManager = (request: FastifyRequest): Principal => requireScope(request, 'admin', 'operator')

/**
 * The tenant a key request is about: the caller's own by default. Naming another is the operator's
 * alone; to a tenant admin every other name is 403, whether it exists or not, so tenants cannot
 * be probed. An operator naming an unknown tenant gets `unknown` (status naming the field).
 */
async function tenantOf (deps: AppDeps, caller: Principal, name: string | undefined, unknown: number): Promise<Tenant> {
  const own = await getTenant(deps.store.db, { id: caller.tenantId })
  if (own === undefined) throw notFound('the key\'s tenant')
  if (name === undefined || name === own.name) return own
  if (!hasScope(caller, 'operator')) throw new ApiError(403, 'forbidden', 'tenant: a tenant admin manages its own tenant\'s keys only; another tenant needs the "operator" scope', [{ field: 'tenant', message: 'needs the operator scope' }])
  const other = await getTenant(deps.store.db, { name })
  if (other === undefined) throw invalidField('tenant', `unknown tenant "${name}"`, unknown)
  return other
}

/** API keys over the API: a tenant's admin manages its own tenant's; the operator every tenant's. */
export function keyRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.post('/keys', {
      schema: {
        operationId: 'createApiKey',
        tags: ['keys'],
        summary: 'Create an API key (admin: for its own tenant, never with operator; operator: for any tenant); the key is shown once and stored hashed',
        body: ApiKeyInput,
        response: { 201: CreatedApiKey, ...errorResponses }
      }
    }, async (request, reply) => {
      const caller = keyManager(request)
      const { name, scopes } = request.body
      if (scopes.includes('operator') && !hasScope(caller, 'operator')) {
        throw new ApiError(403, 'forbidden', 'scopes: only an operator may create an operator key', [{ field: 'scopes', message: 'operator needs the operator scope' }])
      }
      const tenant = await tenantOf(deps, caller, request.body.tenant, 422)
      const createdAt = new Date(deps.now())
      const created = await createApiKey(deps.store.db, { tenantId: tenant.id, name, scopes, createdAt })
      request.log.info({ key: created.id, tenant: tenant.name, scopes, by: caller.keyId }, 'API key created')
      const key = { id: created.id, tenantId: tenant.id, name, prefix: created.prefix, scopes, createdAt, revokedAt: null }
      return await reply.status(201).send({ ...present(key, tenant.name), key: created.key })
    })

    app.get('/keys', {
      schema: {
        operationId: 'listApiKeys',
        tags: ['keys'],
        summary: 'A tenant\'s API keys, revoked ones included (admin: its own tenant; operator: any, with ?tenant=); never the key or its hash',
        querystring: Type.Object({ tenant: Type.Optional(TenantRef) }, { additionalProperties: false }),
        response: { 200: Type.Array(ApiKey), ...errorResponses }
      }
    }, async request => {
      const tenant = await tenantOf(deps, keyManager(request), request.query.tenant, 404)
      return (await listApiKeys(deps.store.db, tenant.id)).map(k => present(k, tenant.name))
    })

    app.delete('/keys/:id', {
      schema: {
        operationId: 'revokeApiKey',
        tags: ['keys'],
        summary: 'Revoke an API key (admin: of its own tenant; operator: any); the deployment\'s last live operator key cannot be revoked (409)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null(), ...errorResponses, 409: Problem }
      }
    }, async (request, reply) => {
      const caller = keyManager(request)
      const operator = hasScope(caller, 'operator')
      const { id } = request.params
      const key = await getApiKey(deps.store.db, id)
      // Another tenant's key is as unknown to a tenant admin as one never made.
      if (key === undefined || key.revokedAt !== null || (!operator && key.tenantId !== caller.tenantId)) throw notFound(`live key ${id}`)
      if (key.scopes.includes('operator') && !operator) {
        throw new ApiError(403, 'forbidden', 'only an operator may revoke an operator key', [{ field: 'id', message: 'an operator key; needs the operator scope' }])
      }
      const outcome = await revokeApiKey(deps.store.db, id, new Date(deps.now()))
      forgetKeys(deps.store)
      if (outcome === 'not-found') throw notFound(`live key ${id}`)
      if (outcome === 'last-operator') {
        throw new ApiError(409, 'last-operator-key', 'this is the last live operator key: create another operator key first, or nobody could manage pools, tenants or keys', [{ field: 'id', message: 'the last live operator key' }])
      }
      request.log.info({ key: id, by: caller.keyId }, 'API key revoked')
      return await reply.status(204).send(null)
    })
  }
}

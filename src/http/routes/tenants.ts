import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ApiError, invalidField, notFound } from '../../errors.js'
import { getPool } from '../../store/pools.js'
import { insertTenant, listTenants, updateTenant, type TenantInfo } from '../../store/tenants.js'
import { Tenant, TenantInput, TenantPatch, TenantRef } from '../access-schemas.js'
import type { AppDeps } from '../app.js'
import { requireScope } from '../auth.js'
import { forgetKeys } from '../key-cache.js'
import { iso } from '../present.js'
import { errorResponses, Problem } from '../schemas.js'

const present = (t: TenantInfo) => ({ name: t.name, maxQueuedJobs: t.maxQueuedJobs, homePool: t.homePool, createdAt: iso(t.createdAt.getTime()) })

/** A home pool must name a pool (disabled ones too: it says where the jobs would have run); a 422 names `homePool` otherwise. */
async function checkHomePool (deps: AppDeps, homePool: string | null | undefined): Promise<void> {
  if (homePool === undefined || homePool === null) return
  if (await getPool(deps.store.db, homePool) === undefined) throw invalidField('homePool', `"${homePool}" is not a pool`)
}

/** Tenants over the API: the deployment's operator's alone (a tenant's admin cannot see the others). */
export function tenantRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.get('/tenants', {
      schema: { operationId: 'listTenants', tags: ['tenants'], summary: 'Every tenant, by name (operator)', response: { 200: Type.Array(Tenant), ...errorResponses } }
    }, async request => {
      requireScope(request, 'operator')
      return (await listTenants(deps.store.db)).map(present)
    })

    app.post('/tenants', {
      schema: {
        operationId: 'createTenant',
        tags: ['tenants'],
        summary: 'Create a tenant, optionally with its own cap on queued jobs and its home pool (operator); then POST /v1/keys with its name',
        body: TenantInput,
        response: { 201: Tenant, ...errorResponses, 409: Problem }
      }
    }, async (request, reply) => {
      requireScope(request, 'operator')
      const { name, maxQueuedJobs, homePool } = request.body
      await checkHomePool(deps, homePool)
      const tenant = await insertTenant(deps.store.db, name, maxQueuedJobs ?? null, homePool ?? null)
      if (tenant === undefined) throw new ApiError(409, 'tenant-exists', `tenant "${name}" already exists`, [{ field: 'name', message: 'already exists' }])
      return await reply.status(201).send(present(tenant))
    })

    app.patch('/tenants/:name', {
      schema: {
        operationId: 'updateTenant',
        tags: ['tenants'],
        summary: 'Set a tenant\'s cap on queued jobs (null: the deployment default) or its home pool (null: none) (operator); jobs already queued or planned stay',
        params: Type.Object({ name: TenantRef }),
        body: TenantPatch,
        response: { 200: Tenant, ...errorResponses }
      }
    }, async request => {
      requireScope(request, 'operator')
      await checkHomePool(deps, request.body.homePool)
      const tenant = await updateTenant(deps.store.db, request.params.name, request.body)
      if (tenant === undefined) throw notFound(`tenant ${request.params.name}`)
      // The key cache keeps each key's home pool: this process sees the change at once, other replicas within KEY_CACHE_MS.
      if (request.body.homePool !== undefined) forgetKeys(deps.store)
      return present(tenant)
    })
  }
}

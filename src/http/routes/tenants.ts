import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ApiError, notFound } from '../../errors.js'
import { insertTenant, listTenants, setTenantQueueCap, type TenantInfo } from '../../store/tenants.js'
import { Tenant, TenantInput, TenantPatch, TenantRef } from '../access-schemas.js'
import type { AppDeps } from '../app.js'
import { requireScope } from '../auth.js'
import { iso } from '../present.js'
import { errorResponses, Problem } from '../schemas.js'

const present = (t: TenantInfo) => ({ name: t.name, maxQueuedJobs: t.maxQueuedJobs, createdAt: iso(t.createdAt.getTime()) })

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
        summary: 'Create a tenant, optionally with its own cap on queued jobs (operator); then POST /v1/keys with its name',
        body: TenantInput,
        response: { 201: Tenant, ...errorResponses, 409: Problem }
      }
    }, async (request, reply) => {
      requireScope(request, 'operator')
      const { name, maxQueuedJobs } = request.body
      const tenant = await insertTenant(deps.store.db, name, maxQueuedJobs ?? null)
      if (tenant === undefined) throw new ApiError(409, 'tenant-exists', `tenant "${name}" already exists`, [{ field: 'name', message: 'already exists' }])
      return await reply.status(201).send(present(tenant))
    })

    app.patch('/tenants/:name', {
      schema: {
        operationId: 'updateTenant',
        tags: ['tenants'],
        summary: 'Set a tenant\'s cap on queued jobs, or null for the deployment default (operator); jobs already queued stay',
        params: Type.Object({ name: TenantRef }),
        body: TenantPatch,
        response: { 200: Tenant, ...errorResponses }
      }
    }, async request => {
      requireScope(request, 'operator')
      const tenant = await setTenantQueueCap(deps.store.db, request.params.name, request.body.maxQueuedJobs)
      if (tenant === undefined) throw notFound(`tenant ${request.params.name}`)
      return present(tenant)
    })
  }
}

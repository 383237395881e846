import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { quoteJob } from '../../scheduler/quote.js'
import type { AppDeps } from '../app.js'
import { homePoolOf, requireScope } from '../auth.js'
import { presentOption, presentPlan } from '../present.js'
import { errorResponses, JobInput, Problem, Quote } from '../schemas.js'

export function quoteRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.post('/quotes', {
      schema: {
        operationId: 'quoteJob',
        tags: ['jobs'],
        summary: 'Plan a job without submitting it: what it would emit, where and when',
        body: JobInput,
        response: { 200: Quote, ...errorResponses, 409: Problem, 413: Problem, 503: Problem }
      }
    }, async request => {
      const principal = requireScope(request, 'read')
      const { plan, options, estimate } = await quoteJob(deps, request.body, deps.now(), homePoolOf(request), principal.tenantId)
      return { plan: presentPlan(plan), estimate, options: options.map(presentOption) }
    })
  }
}

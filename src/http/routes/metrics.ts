import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Metrics } from '../../metrics.js'
import { refreshScraped } from '../../metrics-scrape.js'
import type { AppDeps } from '../app.js'

/**
 * `GET /metrics` in the Prometheus text format, without a key (scrapers rarely carry one; it shows
 * counts, ages and totals per pool and zone, never a job or a tenant). Gauges over the store are
 * read at scrape time.
 */
export function metricsRoutes (deps: AppDeps, metrics: Metrics): FastifyPluginAsyncTypebox {
  return async app => {
    app.get('/metrics', {
      schema: {
        operationId: 'metrics',
        tags: ['health'],
        summary: 'Prometheus metrics: jobs by state and pool, ledger emissions and energy, zone intensity, scheduler passes, executor errors, dispatch lag, provider calls',
        security: [],
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) }
      }
    }, async (_request, reply) => {
      await refreshScraped(deps, metrics, deps.now())
      return await reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
    })
  }
}

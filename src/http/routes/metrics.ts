import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Metrics } from '../../metrics.js'
import { newestFetch } from '../../store/intensity.js'
import type { AppDeps } from '../app.js'

/**
 * `GET /metrics` in the Prometheus text format, without a key (scrapers rarely carry one; it shows
 * counts and ages, never data of a tenant). Forecast ages are read from the store at scrape time.
 */
export function metricsRoutes (deps: AppDeps, metrics: Metrics): FastifyPluginAsyncTypebox {
  return async app => {
    app.get('/metrics', {
      schema: {
        operationId: 'metrics',
        tags: ['health'],
        summary: 'Prometheus metrics: provider calls and durations, forecast age per zone',
        security: [],
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) }
      }
    }, async (_request, reply) => {
      const now = deps.now()
      for (const zone of deps.providers.keys()) {
        const newest = await newestFetch(deps.store.db, zone, 'forecast')
        if (newest === undefined) metrics.forecastAge.remove({ zone })
        else metrics.forecastAge.set({ zone }, (now - newest.fetchedAt) / 1000)
      }
      return await reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
    })
  }
}

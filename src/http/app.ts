import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Instant } from '../core/types.js'
import { createMetrics } from '../metrics.js'
import type { Deps } from '../scheduler/deps.js'
import { authenticate } from './auth.js'
import { installErrorHandling } from './errors.js'
import { serializerCompiler } from './schema-cache.js'
import { rateLimit } from './rate-limit.js'
import { bodyDeadline, timeoutOptions } from './timeouts.js'
import { refuseIllFormedUnicode } from './unicode.js'
import { installValidation } from './validation.js'
import { agentRoutes } from './routes/agent.js'
import { callbackRoutes } from './routes/callbacks.js'
import { dashboardRoutes } from './routes/dashboard.js'
import { energyHistoryRoutes } from './routes/energy-history.js'
import { estimateRoutes } from './routes/estimates.js'
import { healthRoutes } from './routes/health.js'
import { jobRoutes } from './routes/jobs.js'
import { keyRoutes } from './routes/keys.js'
import { metricsRoutes } from './routes/metrics.js'
import { poolRoutes } from './routes/pools.js'
import { quoteRoutes } from './routes/quotes.js'
import { reportRoutes } from './routes/reports.js'
import { tenantRoutes } from './routes/tenants.js'
import { zoneRoutes } from './routes/zones.js'

export interface AppDeps extends Deps {
  /** The clock, read once per request and passed down. */
  now: () => Instant
  /** Whether the service is ready to take work (migrated, providers loaded). */
  ready: () => boolean
}

/** Request bodies above 1 MiB are refused with 413: a job spec is a few kB. */
const BODY_LIMIT = 1024 * 1024

/** Builds the HTTP app (never listens). */
export async function buildApp (deps: AppDeps, opts: { logger?: FastifyBaseLogger } = {}): Promise<FastifyInstance> {
  const limits = deps.config.limits
  const app = Fastify({
    ...(opts.logger === undefined ? {} : { loggerInstance: opts.logger }),
    ...timeoutOptions(limits),
    bodyLimit: BODY_LIMIT,
    // One access line per request (below) instead of fastify's two; errors are logged by installErrorHandling.
    logController: new LogController({ disableRequestLogging: true })
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request')
  })
  installErrorHandling(app)
  installValidation(app)
  // For every route: callers are known by now (authentication runs onRequest), bodies are not yet read.
  const limit = rateLimit(limits, deps.now)
  if (limit !== undefined) app.addHook('preParsing', limit)
  app.addHook('preValidation', refuseIllFormedUnicode)
  app.setSerializerCompiler(serializerCompiler)
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'greenshift', version: '1', description: 'Carbon-aware scheduling of deferrable GPU jobs. Emissions in grams CO2e; intensity in gCO2e/kWh; instants in UTC.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }]
    }
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' })
  await app.register(healthRoutes(deps))
  await app.register(dashboardRoutes())
  // Without shared metrics from the caller, the app keeps its own registry (counters stay at zero).
  await app.register(metricsRoutes(deps, deps.metrics ?? createMetrics()))
  await app.register(async v1 => {
    v1.addHook('onRequest', authenticate(deps.store))
    await v1.register(jobRoutes(deps))
    await v1.register(quoteRoutes(deps))
    await v1.register(estimateRoutes(deps))
    await v1.register(energyHistoryRoutes(deps))
    await v1.register(poolRoutes(deps))
    await v1.register(zoneRoutes(deps))
    await v1.register(reportRoutes(deps))
    await v1.register(keyRoutes(deps))
    await v1.register(tenantRoutes(deps))
  }, { prefix: '/v1' })
  // Agents authenticate with pool tokens, not API keys: their own plugin, their own hook.
  await app.register(agentRoutes(deps), { prefix: '/v1' })
  // Callbacks are unauthenticated until their whole body is in (the signature covers it): the tightest deadline.
  await app.register(async callbacks => {
    callbacks.addHook('preParsing', bodyDeadline(limits.callbackBodyTimeoutMs))
    await callbacks.register(callbackRoutes(deps))
  }, { prefix: '/v1' })
  return app
}

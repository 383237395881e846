import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { ExecutorSpec, MarketFactor, Pool as PoolType } from '../../core/types.js'
import { secretFor } from '../../scheduler/deps.js'
import { ApiError, invalidField, notFound } from '../../errors.js'
import { intakeState } from '../../scheduler/intake-state.js'
import { changePool } from '../../scheduler/pools.js'
import { createPoolToken, listPoolTokens, revokePoolToken } from '../../store/pool-tokens.js'
import { getPool, insertPool, listPools } from '../../store/pools.js'
import { CreatedToken, PoolToken, PoolTokenParams, TokenInput } from '../agent-schemas.js'
import { iso } from '../present.js'
import type { AppDeps } from '../app.js'
import { requireScope } from '../auth.js'
import { Pool, PoolInput, PoolPatch, type MarketInput } from '../pool-schemas.js'
import { errorResponses, PoolName, Problem } from '../schemas.js'

export function poolRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.get('/pools', {
      schema: { operationId: 'listPools', tags: ['pools'], summary: 'GPU pools and the zone each is in', response: { 200: Type.Array(Pool), ...errorResponses } }
    }, async request => {
      requireScope(request, 'read')
      return await listPools(deps.store.db)
    })

    app.post('/pools', {
      schema: { operationId: 'createPool', tags: ['pools'], summary: 'Register a GPU pool (operator)', body: PoolInput, response: { 201: Pool, ...errorResponses, 409: Problem } }
    }, async (request, reply) => {
      requireScope(request, 'operator')
      const body = request.body
      if (!deps.providers.has(body.zone)) throw invalidField('zone', `unknown zone "${body.zone}"; configured zones: ${[...deps.providers.keys()].join(', ')}`)
      checkSecret(deps, body.executor)
      const pool: PoolType = {
        ...body,
        enabled: body.enabled ?? true,
        embodiedGPerGpuHour: body.embodiedGPerGpuHour ?? null,
        hostWattsPerGpu: body.hostWattsPerGpu ?? 0,
        idleWattsPerGpu: body.idleWattsPerGpu ?? 0,
        market: marketFactor(body.market ?? null)
      }
      if (!await insertPool(deps.store.db, pool, new Date(deps.now()))) {
        throw new ApiError(409, 'pool-exists', `pool "${body.name}" already exists`, [{ field: 'name', message: 'already exists' }])
      }
      intakeState(deps.store).forgetPools()
      return reply.status(201).send(pool)
    })

    app.patch('/pools/:name', {
      schema: {
        operationId: 'updatePool',
        tags: ['pools'],
        summary: 'Change a pool\'s capacity, power model, executor or enabled flag (operator); existing plans are kept',
        params: Type.Object({ name: PoolName }),
        body: PoolPatch,
        response: { 200: Pool, ...errorResponses, 409: Problem }
      }
    }, async request => {
      requireScope(request, 'operator')
      if (request.body.executor !== undefined) checkSecret(deps, request.body.executor)
      const { market, ...rest } = request.body
      const patch = market === undefined ? rest : { ...rest, market: marketFactor(market) }
      const pool = await changePool(deps, request.params.name, patch, deps.now())
      if (pool === undefined) throw notFound(`pool ${request.params.name}`)
      return pool
    })

    app.post('/pools/:name/tokens', {
      schema: {
        operationId: 'createPoolToken',
        tags: ['pools'],
        summary: 'Mint an agent token for one pool (operator); the token is shown once and stored hashed',
        params: Type.Object({ name: PoolName }),
        body: Type.Optional(TokenInput),
        response: { 201: CreatedToken, ...errorResponses }
      }
    }, async (request, reply) => {
      requireScope(request, 'operator')
      const pool = await getPool(deps.store.db, request.params.name)
      if (pool === undefined) throw notFound(`pool ${request.params.name}`)
      if (pool.executor.kind !== 'agent') throw new ApiError(409, 'not-an-agent-pool', `pool ${pool.name} runs jobs through ${pool.executor.kind}, not agents`)
      const created = await createPoolToken(deps.store.db, pool.name, request.body?.name ?? 'agent', new Date(deps.now()))
      return reply.status(201).send({ ...created, createdAt: iso(created.createdAt.getTime()) })
    })

    app.get('/pools/:name/tokens', {
      schema: {
        operationId: 'listPoolTokens',
        tags: ['pools'],
        summary: 'A pool\'s agent tokens, revoked ones included (operator); never the token itself',
        params: Type.Object({ name: PoolName }),
        response: { 200: Type.Array(PoolToken), ...errorResponses }
      }
    }, async request => {
      requireScope(request, 'operator')
      const pool = await getPool(deps.store.db, request.params.name)
      if (pool === undefined) throw notFound(`pool ${request.params.name}`)
      const tokens = await listPoolTokens(deps.store.db, pool.name)
      return tokens.map(t => ({ ...t, createdAt: iso(t.createdAt.getTime()), revokedAt: t.revokedAt === null ? null : iso(t.revokedAt.getTime()) }))
    })

    app.delete('/pools/:name/tokens/:id', {
      schema: {
        operationId: 'revokePoolToken',
        tags: ['pools'],
        summary: 'Revoke an agent token (operator); agents using it get 401 from then on',
        params: PoolTokenParams,
        response: { 204: Type.Null(), ...errorResponses }
      }
    }, async (request, reply) => {
      requireScope(request, 'operator')
      const { name, id } = request.params
      // A token of another pool is as unknown here as one never minted: 404 either way.
      if (!await revokePoolToken(deps.store.db, name, id, new Date(deps.now()))) throw notFound(`live token ${id} of pool ${name}`)
      request.log.info({ pool: name, token: id }, 'agent token revoked')
      return await reply.status(204).send(null)
    })
  }
}

/** A market factor as given, `contract` unless it says otherwise; an instrument of blanks names nothing. */
function marketFactor (m: MarketInput): MarketFactor | null {
  if (m === null) return null
  if (m.instrument.trim() === '') throw invalidField('market.instrument', 'must name the instrument, e.g. "PPA wind 2026"')
  return { gPerKwh: m.gPerKwh, instrument: m.instrument, kind: m.kind ?? 'contract' }
}

/** A webhook or Slurm pool is refused unless the server has the secret its spec names: its jobs could never run. */
function checkSecret (deps: AppDeps, executor: ExecutorSpec): void {
  const name = executor.kind === 'webhook' ? executor.secretEnv : executor.kind === 'slurm' ? executor.tokenEnv : undefined
  const field = executor.kind === 'webhook' ? 'executor.secretEnv' : 'executor.tokenEnv'
  if (name !== undefined && secretFor(deps, name) === undefined) throw invalidField(field, `the environment variable ${name} is not set on the server`)
}

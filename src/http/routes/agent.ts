import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { setTimeout as delay } from 'node:timers/promises'
import { Type } from 'typebox'
import { ApiError, notFound } from '../../errors.js'
import { claimJob } from '../../scheduler/claim.js'
import { finishRun, heartbeatRun, loseRun, type ReportResult } from '../../scheduler/runs.js'
import { getJobById } from '../../store/jobs.js'
import { findPoolToken } from '../../store/pool-tokens.js'
import { getPool } from '../../store/pools.js'
import { claimMatches, runClaim } from '../../store/run-claims.js'
import type { AppDeps } from '../app.js'
import { ClaimedJob, ClaimInput, CompleteInput, CompleteReply, HeartbeatInput, HeartbeatReply } from '../agent-schemas.js'
import { iso } from '../present.js'
import { plausibleEnd, plausibleReport } from '../report-check.js'
import { errorResponses, Problem } from '../schemas.js'

declare module 'fastify' {
  interface FastifyRequest {
    agentPool?: string
  }
}

/** How often an agent must send a heartbeat; `agentTimeoutMs` (several of these) marks it lost. */
export const HEARTBEAT_SECONDS = 15
/** How often a long-polling claim looks again for a job. */
const CLAIM_POLL_MS = 500

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

const unauthorized = (detail: string) =>
  new ApiError(401, 'unauthorized', detail, [{ field: 'Authorization', message: detail }], { 'www-authenticate': 'Bearer realm="greenshift-agent"' })

function poolOf (request: FastifyRequest): string {
  if (request.agentPool === undefined) throw unauthorized('not authenticated')
  return request.agentPool
}

/**
 * The agent (pull) API, authenticated by a pool token (`gsa_…`, minted by an admin with
 * `POST /v1/pools/{name}/tokens`): claim a job, report heartbeats, report completion. A token
 * reaches only its own pool's jobs; any other job is 404, as if it did not exist.
 */
export function agentRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.addHook('onRequest', async request => {
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')
      if (match?.[1] === undefined) throw unauthorized('missing Authorization: Bearer <pool token> header')
      const token = await findPoolToken(deps.store.db, match[1])
      if (token === undefined) throw unauthorized('unknown or revoked agent token')
      request.agentPool = token.pool
      request.agentTokenId = token.id
    })

    app.post('/agent/claim', {
      schema: {
        operationId: 'claimJob',
        tags: ['agent'],
        summary: 'Take the next dispatched job of the token\'s pool (long-polls up to waitSeconds); 204 when there is none',
        body: ClaimInput,
        response: { 200: ClaimedJob, 204: Type.Null(), ...errorResponses }
      }
    }, async (request, reply) => {
      const pool = poolOf(request)
      const { agent, gpus } = request.body
      const until = Date.now() + (request.body.waitSeconds ?? 0) * 1000
      // The client hung up: the response's socket closed before it was answered. (The request's own
      // 'close' fires as soon as its body has been read, so it cannot tell.)
      let closed = false
      reply.raw.once('close', () => { closed = !reply.raw.writableEnded })
      for (;;) {
        const claimed = await claimJob(deps, pool, agent, gpus, deps.now())
        if (claimed !== undefined) {
          const { job, attempt } = claimed
          request.log.info({ job: job.id, attempt, pool, agent }, 'job claimed by agent')
          return {
            job: { id: job.id, attempt, name: job.name, command: job.command, payload: job.payload ?? null, gpus: job.gpus, durationMinutes: job.durationMinutes, deadline: iso(job.deadline), labels: job.labels },
            heartbeatSeconds: HEARTBEAT_SECONDS,
            pool,
            claim: claimed.claim
          }
        }
        const left = until - Date.now()
        if (closed || left <= 0) return await reply.status(204).send(null)
        await delay(Math.min(CLAIM_POLL_MS, left))
      }
    })

    app.post('/agent/jobs/:id/heartbeat', {
      schema: {
        operationId: 'agentHeartbeat',
        tags: ['agent'],
        summary: 'Report that a claimed job still runs, with progress and power; answers whether to cancel it',
        params: IdParams,
        body: HeartbeatInput,
        response: { 200: HeartbeatReply, ...errorResponses, 409: Problem }
      }
    }, async request => {
      const { attempt, claim, progress, powerW, energyKwh } = request.body
      await ownRun(deps, poolOf(request), request.params.id, attempt, claim)
      await plausibleReport(deps, request.params.id, attempt, { powerW, energyKwh, metered: 'gpus' }, deps.now())
      const result = await heartbeatRun(deps, request.params.id, attempt, deps.now(), { progress, powerW, energyKwh })
      return { cancel: stale(result, request.params.id, attempt).cancel }
    })

    app.post('/agent/jobs/:id/complete', {
      schema: {
        operationId: 'agentComplete',
        tags: ['agent'],
        summary: 'Report how a claimed job ended: exit code, times and the GPU energy measured',
        params: IdParams,
        body: CompleteInput,
        response: { 200: CompleteReply, ...errorResponses, 409: Problem }
      }
    }, async request => {
      const { attempt, claim, exitCode, energyKwh, detail, requeue } = request.body
      const poolName = poolOf(request)
      const dispatchedPue = await ownRun(deps, poolName, request.params.id, attempt, claim)
      const reported = { startedAt: Date.parse(request.body.startedAt), finishedAt: Date.parse(request.body.finishedAt), energyKwh, metered: 'gpus' as const }
      const { startedAt, finishedAt } = await plausibleEnd(deps, request.params.id, attempt, reported, deps.now())
      // The agent meters its GPUs; the site's overhead (cooling, power conversion) is the pool's PUE,
      // as it was when the run was handed over (the ledger prices the run with that model).
      const pue = dispatchedPue ?? (await getPool(deps.store.db, poolName))?.pue ?? 1
      const wallKwh = energyKwh === null ? null : energyKwh * pue
      if (requeue === true) {
        const reason = `agent stopped before the job ended (${detail ?? `exit code ${exitCode ?? 'unknown'}`}); released back to planning`
        // What this attempt ran and drew is kept: the job's ledger counts every attempt.
        await loseRun(deps, request.params.id, attempt, reason, deps.now(), { startedAt, finishedAt, energyKwh: wallKwh })
        return { state: (await getJobById(deps.store.db, request.params.id))?.state ?? 'unknown' }
      }
      const result = await finishRun(deps, request.params.id, attempt, { exitCode, startedAt, finishedAt, energyKwh: wallKwh, detail: detail ?? null }, deps.now())
      const job = stale(result, request.params.id, attempt).job
      return { state: job?.state ?? 'unknown' }
    })
  }
}

/**
 * 404 unless the job's run `attempt` is on the token's pool: a token never learns of other pools'
 * jobs. 403 naming `claim` unless the report carries the secret that run's claim returned: a pool
 * token that leaked (to a job, say) cannot report on a run another agent holds. Returns the PUE the
 * run was dispatched with (null for runs from before it was kept), read with the rest.
 */
async function ownRun (deps: AppDeps, pool: string, jobId: string, attempt: number, claim: string | undefined): Promise<number | null> {
  const run = await runClaim(deps.store.db, jobId, attempt)
  if (run === undefined || run.pool !== pool || run.executor !== 'agent') throw notFound(`job ${jobId}`)
  if (!claimMatches(run.claimHash, claim)) {
    const message = claim === undefined ? 'is required: the secret the claim returned' : 'is not the secret this run\'s claim returned'
    throw new ApiError(403, 'forbidden', `claim ${message}`, [{ field: 'claim', message }])
  }
  return run.pue
}

/** A report on a superseded attempt or a closed run is a 409: the agent must stop that run. */
function stale (result: ReportResult, id: string, attempt: number): ReportResult {
  if (!result.applied && !(result.job?.state === 'cancelled')) {
    throw new ApiError(409, 'run-superseded', `attempt ${attempt} of job ${id} is no longer current; stop it`)
  }
  return result
}

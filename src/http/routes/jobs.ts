import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { notFound } from '../../errors.js'
import { cancelJob } from '../../scheduler/cancel.js'
import { restateLedger } from '../../scheduler/ledger-restate.js'
import { submitJob } from '../../scheduler/submit.js'
import { listEvents } from '../../store/events.js'
import { getJob, listJobs } from '../../store/jobs.js'
import type { AppDeps } from '../app.js'
import { homePoolOf, requireScope } from '../auth.js'
import { presentJob, presentRun, presentSegment } from '../present.js'
import { Ledger, presentLedger } from '../present-ledger.js'
import { getLedger } from '../../store/ledger.js'
import { listRuns } from '../../store/runs.js'
import { listSegments } from '../../store/segments.js'
import { errorResponses, Job, JobDetail, JobInput, JobPage, JobState, Problem } from '../schemas.js'

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

export function jobRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.post('/jobs', {
      schema: {
        operationId: 'submitJob',
        tags: ['jobs'],
        summary: 'Submit a job; it is planned at once into the lowest-carbon pool and window before its deadline (429 queue-full at the tenant\'s cap on queued jobs)',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
        body: JobInput,
        response: { 200: Job, 201: Job, ...errorResponses, 409: Problem, 413: Problem, 429: Problem }
      }
    }, async (request, reply) => {
      const principal = requireScope(request, 'submit')
      const key = request.headers['idempotency-key'] ?? null
      const { job, replayed } = await submitJob(deps, principal.tenantId, request.body, key, deps.now(), homePoolOf(request))
      if (replayed) void reply.header('idempotent-replayed', 'true')
      void reply.header('location', `/v1/jobs/${job.id}`)
      return reply.status(replayed ? 200 : 201).send(presentJob(job))
    })

    app.get('/jobs', {
      schema: {
        operationId: 'listJobs',
        tags: ['jobs'],
        summary: 'List this tenant\'s jobs, newest first',
        querystring: Type.Object({
          state: Type.Optional(JobState),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 })
        }, { additionalProperties: false }),
        response: { 200: JobPage, ...errorResponses }
      }
    }, async request => {
      const principal = requireScope(request, 'read')
      const { state, cursor, limit } = request.query
      const page = await listJobs(deps.store.db, principal.tenantId, { state, cursor, limit })
      return { jobs: page.jobs.map(presentJob), nextCursor: page.nextCursor }
    })

    app.get('/jobs/:id', {
      schema: {
        operationId: 'getJob',
        tags: ['jobs'],
        summary: 'One job with its plan, its history of events, its runs, planned and actual segments, and its carbon ledger',
        params: IdParams,
        response: { 200: JobDetail, ...errorResponses }
      }
    }, async request => {
      const principal = requireScope(request, 'read')
      const job = await getJob(deps.store.db, principal.tenantId, request.params.id)
      if (job === undefined) throw notFound(`job ${request.params.id}`)
      const db = deps.store.db
      const [events, runs, segments, ledger] = [await listEvents(db, job.id), await listRuns(db, job.id), await listSegments(db, job.id), await getLedger(db, job.id)]
      return {
        ...presentJob(job),
        events: events.map(e => ({ at: new Date(e.at).toISOString(), type: e.type, fromState: e.fromState, toState: e.toState, reason: e.reason })),
        runs: runs.map(presentRun),
        segments: segments.map(presentSegment),
        ledger: ledger === null ? null : presentLedger(ledger)
      }
    })

    app.post('/jobs/:id/ledger/restate', {
      schema: {
        operationId: 'restateLedger',
        tags: ['jobs'],
        summary: 'Restate a job\'s ledger (operator): compute it again from its runs and stored intensity with the pools as they are now; a `ledger-restated` event keeps the old and new figures. A final ledger changes in no other way.',
        params: IdParams,
        body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500, description: 'why: kept with the ledger and in the event' }) }, { additionalProperties: false }),
        response: { 200: Ledger, ...errorResponses, 409: Problem }
      }
    }, async request => {
      requireScope(request, 'operator')
      return presentLedger(await restateLedger(deps, request.params.id, request.body.reason, deps.now()))
    })

    app.post('/jobs/:id/cancel', {
      schema: {
        operationId: 'cancelJob',
        tags: ['jobs'],
        summary: 'Cancel a job that has not finished; its reserved GPUs are released',
        params: IdParams,
        response: { 200: Job, ...errorResponses, 409: Problem }
      }
    }, async request => {
      const principal = requireScope(request, 'submit')
      return presentJob(await cancelJob(deps, principal.tenantId, request.params.id, 'cancelled by client', deps.now()))
    })
  }
}

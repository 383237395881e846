import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import type { Instant } from '../../core/types.js'
import { ApiError, invalidField, notFound } from '../../errors.js'
import { CLOCK_SKEW_MS } from '../../core/plausible.js'
import { verify } from '../../executors/signing.js'
import { secretFor } from '../../scheduler/deps.js'
import { finishRun, heartbeatRun, startRun, type ReportResult } from '../../scheduler/runs.js'
import { getJobById } from '../../store/jobs.js'
import { getPool } from '../../store/pools.js'
import { getRun } from '../../store/runs.js'
import { MAX_ATTEMPT } from '../agent-schemas.js'
import type { AppDeps } from '../app.js'
import { plausibleEnd, plausibleReport } from '../report-check.js'
import { errorResponses, JobState, Problem } from '../schemas.js'

const DateTime = (description: string) => Type.String({ format: 'date-time', description })
const Amount = (description: string) => Type.Number({ minimum: 0, maximum: 10_000_000, description })

/**
 * A receiver's report. `jobId` repeats the id in the URL inside the signed bytes: the signature
 * covers `<webhook-id>.<timestamp>.<body>` only, so without it a report signed for one job of a
 * pool could be replayed, within the 5-minute tolerance, to the URL of another job of that pool.
 */
export const CallbackInput = Type.Object({
  jobId: Type.String({ format: 'uuid', description: 'job.id of the dispatch message; must equal the id in the URL' }),
  type: Type.Union([Type.Literal('started'), Type.Literal('heartbeat'), Type.Literal('finished')]),
  attempt: Type.Integer({ minimum: 1, maximum: MAX_ATTEMPT, description: 'job.attempt of the dispatch message' }),
  at: Type.Optional(DateTime('when it happened, by the receiver\'s clock; the start of a `started` report without startedAt')),
  progress: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'share of the work done, 0..1' })),
  powerW: Type.Optional(Amount('power drawn by the job now, W')),
  energyKwh: Type.Optional(Amount('energy measured at the wall (site overhead included), kWh: so far in a heartbeat, in total when finished')),
  exitCode: Type.Optional(Type.Integer({ minimum: -255, maximum: 65_535, description: 'required when finished; 0 is success' })),
  startedAt: Type.Optional(DateTime('when the job started')),
  finishedAt: Type.Optional(DateTime('when the job ended; required when finished')),
  detail: Type.Optional(Type.String({ maxLength: 1000, description: 'why it failed, for people' }))
}, { additionalProperties: false })
type CallbackInput = Static<typeof CallbackInput>

export const CallbackReply = Type.Object({
  applied: Type.Boolean({ description: 'false: the attempt is superseded or its run closed; stop it' }),
  cancel: Type.Boolean({ description: 'stop the job: it was cancelled or superseded' }),
  state: JobState
})

/** Documented here, checked by `verify`: a missing header is a 401 like a wrong signature, not a 400. */
const SignatureHeaders = Type.Object({
  'webhook-id': Type.Optional(Type.String({ description: 'unique per message' })),
  'webhook-timestamp': Type.Optional(Type.String({ description: 'unix seconds; refused when more than 5 minutes off' })),
  'webhook-signature': Type.Optional(Type.String({ description: 'v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>"> with the pool\'s secret' }))
})

/** A callback is under 2 kB; 64 KiB leaves room and keeps unauthenticated bodies small. */
const BODY_LIMIT = 64 * 1024

/** The body as received, by request: the signature covers these bytes, not a re-serialisation. */
const rawBodies = new WeakMap<FastifyRequest, string>()

function unauthorized (header: string, detail: string): ApiError {
  return new ApiError(401, 'invalid-signature', detail, [{ field: header, message: detail }], { 'www-authenticate': 'Signature realm="greenshift-callbacks"' })
}

/**
 * The secret of the webhook pool that ran attempt `attempt` (or, for an attempt without a run, the
 * job's current one); undefined when there is no such job or run, or the pool is not a webhook pool.
 * A superseded attempt is checked with its own pool's secret, so its receiver learns to stop.
 */
async function poolSecret (deps: AppDeps, request: FastifyRequest, jobId: string, attempt: number): Promise<string | undefined> {
  const db = deps.store.db
  const job = await getJobById(db, jobId)
  if (job === undefined) return undefined
  const run = await getRun(db, jobId, attempt) ?? await getRun(db, jobId, job.attempt)
  const pool = run?.executor === 'webhook' ? await getPool(db, run.pool) : undefined
  if (pool?.executor.kind !== 'webhook') return undefined
  const secret = secretFor(deps, pool.executor.secretEnv)
  if (secret === undefined) request.log.error({ pool: pool.name, secretEnv: pool.executor.secretEnv }, 'webhook pool has no secret; its callbacks are refused')
  return secret
}

/** An instant of the report, refused when more than the clock skew allowed ahead of ours. */
function instant (field: string, value: string | undefined, now: Instant): Instant | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  if (t > now + CLOCK_SKEW_MS) throw invalidField(field, 'is in the future')
  return t
}

/**
 * Applies a report after checking it against what is possible for the run (`plausibleReport`): a
 * receiver's energy and power are at the wall, site overhead included.
 */
async function apply (deps: AppDeps, jobId: string, body: CallbackInput, now: Instant): Promise<ReportResult> {
  const at = instant('at', body.at, now)
  const startedAt = body.startedAt === undefined ? undefined : Date.parse(body.startedAt)
  if (body.type === 'started') {
    const start = startedAt ?? at ?? now
    const booked = await plausibleReport(deps, jobId, body.attempt, { startedAt: start, metered: 'wall' }, now, startedAt === undefined ? { startedAt: 'at' } : {})
    return await startRun(deps, jobId, body.attempt, booked.startedAt ?? start, now)
  }
  if (body.type === 'heartbeat') {
    await plausibleReport(deps, jobId, body.attempt, { powerW: body.powerW, energyKwh: body.energyKwh, metered: 'wall' }, now)
    return await heartbeatRun(deps, jobId, body.attempt, now, { progress: body.progress, powerW: body.powerW, energyKwh: body.energyKwh })
  }
  if (body.exitCode === undefined) throw invalidField('exitCode', 'is required when type is finished', 400)
  if (body.finishedAt === undefined) throw invalidField('finishedAt', 'is required when type is finished', 400)
  const reported = { startedAt: startedAt ?? null, finishedAt: Date.parse(body.finishedAt), energyKwh: body.energyKwh ?? null, metered: 'wall' as const }
  const booked = await plausibleEnd(deps, jobId, body.attempt, reported, now)
  const end = { exitCode: body.exitCode, startedAt: booked.startedAt, finishedAt: booked.finishedAt, energyKwh: booked.energyKwh, detail: body.detail ?? null }
  return await finishRun(deps, jobId, body.attempt, end, now)
}

/** JSON, with the raw text kept for the signature; NUL and `__proto__` refused as everywhere else. */
function parseJson (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void {
  const text = body.toString()
  rawBodies.set(request, text)
  if (text.includes('\\u0000')) {
    done(new ApiError(400, 'invalid-body', 'JSON strings may not contain NUL (\\u0000)', [{ field: 'body', message: 'contains \\u0000' }]))
    return
  }
  try {
    done(null, text === '' ? undefined : JSON.parse(text, (key, value: unknown) => key === '__proto__' ? undefined : value))
  } catch (err) {
    done(new ApiError(400, 'invalid-body', `body is not valid JSON: ${(err as Error).message}`, [{ field: 'body', message: 'is not valid JSON' }]))
  }
}

/**
 * Where webhook receivers report on a job they were sent: started, heartbeats (progress, power,
 * energy so far) and the end (exit code, measured energy). Not behind API keys: a receiver signs
 * each callback like the dispatch it got (Standard Webhooks, the pool's secret, over the raw body),
 * and names the job in the body too, so a signed report is good for one job only.
 * A job that does not exist, has no run, or runs outside a webhook pool is 404 alike, so the
 * endpoint reveals no job ids. Register it in its own plugin: it replaces the JSON parser.
 */
export function callbackRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, parseJson)

    app.post('/callbacks/jobs/:id', {
      schema: {
        operationId: 'webhookCallback',
        tags: ['webhook'],
        summary: 'A webhook receiver reports that a job started, is alive, or ended; signed with the pool\'s secret',
        security: [],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        headers: SignatureHeaders,
        body: CallbackInput,
        response: { 200: CallbackReply, ...errorResponses, 413: Problem, 415: Problem }
      }
    }, async request => {
      const now = deps.now()
      const { id } = request.params
      // Before any lookup: a body naming another job is refused alike whoever signed it, and reveals nothing.
      if (request.body.jobId !== id) throw invalidField('jobId', 'does not match the URL', 400)
      const secret = await poolSecret(deps, request, id, request.body.attempt)
      if (secret === undefined) throw notFound(`job ${id}`)
      const checked = verify(secret, request.headers, rawBodies.get(request) ?? '', Math.floor(now / 1000))
      if (!checked.ok) throw unauthorized(checked.header, `invalid signature: ${checked.detail}`)
      const result = await apply(deps, id, request.body, now)
      const state = result.job?.state ?? (await getJobById(deps.store.db, id))?.state
      if (state === undefined) throw notFound(`job ${id}`)
      return { applied: result.applied, cancel: result.cancel, state }
    })
  }
}

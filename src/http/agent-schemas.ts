import { Type } from 'typebox'
import { PoolName } from './schemas.js'

/** Schemas of the agent API (pull executors) and of pool agent tokens. */

export const TokenInput = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'what the token is for, e.g. the host group' }))
}, { additionalProperties: false })

export const CreatedToken = Type.Object({
  id: Type.String(),
  pool: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'first characters of the token, for telling tokens apart' }),
  token: Type.String({ description: 'the token; shown once, stored hashed' }),
  createdAt: Type.String({ format: 'date-time' })
})

/** A token as listed to admins: enough to tell tokens apart and revoke one, never the token or its hash. */
export const PoolToken = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  prefix: Type.String({ description: 'first characters of the token, for telling tokens apart' }),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null while the token is live' })
})

export const PoolTokenParams = Type.Object({
  name: PoolName,
  id: Type.String({ format: 'uuid' })
})

export const ClaimInput = Type.Object({
  agent: Type.String({ minLength: 1, maxLength: 200, description: 'the agent\'s name, e.g. host:pid' }),
  waitSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30, default: 0, description: 'long-poll: wait this long for a job' })),
  gpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'free GPUs on the host; larger jobs are left for others' }))
}, { additionalProperties: false })

export const ClaimedJob = Type.Object({
  job: Type.Object({
    id: Type.String(),
    attempt: Type.Integer(),
    name: Type.String(),
    command: Type.Union([Type.Array(Type.String()), Type.Null()]),
    payload: Type.Unknown(),
    gpus: Type.Integer(),
    durationMinutes: Type.Integer(),
    deadline: Type.String({ format: 'date-time' }),
    labels: Type.Record(Type.String(), Type.String())
  }),
  heartbeatSeconds: Type.Integer({ description: 'send a heartbeat at least this often while the job runs' }),
  pool: Type.String({ description: 'the pool the token is for' }),
  claim: Type.String({ description: 'the claim secret: send it as `claim` with every heartbeat and completion of this run. Shown once, stored hashed; keep it in memory only' })
})

/**
 * The largest attempt: `job_runs.attempt` is a PostgreSQL `integer` (int4, 2^31 - 1), and a bigger
 * number sent to the database is an error there, a 500 here, instead of a 400 naming the field.
 */
export const MAX_ATTEMPT = 2_147_483_647

const Attempt = Type.Integer({ minimum: 1, maximum: MAX_ATTEMPT, description: 'the attempt given by the claim' })

/**
 * The secret the claim returned. Optional in the schema only so that a report without it gets the
 * same 403 naming `claim` as one with a wrong secret; it is always required.
 */
const ClaimSecret = Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'required: the `claim` secret the claim reply returned; without the right one the report is refused with 403' }))

export const HeartbeatInput = Type.Object({
  attempt: Attempt,
  claim: ClaimSecret,
  progress: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
  powerW: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 10_000_000 }), Type.Null()], { description: 'draw of the job\'s GPUs now, W' })),
  energyKwh: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 10_000_000 }), Type.Null()], { description: 'GPU energy so far, kWh' }))
}, { additionalProperties: false })

export const HeartbeatReply = Type.Object({ cancel: Type.Boolean({ description: 'stop the job: it was cancelled' }) })

export const CompleteInput = Type.Object({
  attempt: Attempt,
  claim: ClaimSecret,
  exitCode: Type.Union([Type.Integer({ minimum: -255, maximum: 65_535 }), Type.Null()]),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.String({ format: 'date-time' }),
  energyKwh: Type.Union([Type.Number({ minimum: 0, maximum: 10_000_000 }), Type.Null()], { description: 'GPU energy measured over the run, kWh, before PUE; null when not measured' }),
  samples: Type.Optional(Type.Integer({ minimum: 0 })),
  detail: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  requeue: Type.Optional(Type.Boolean({ description: 'the agent was stopped, not the job: plan the job again (within its deadline) instead of failing it' }))
}, { additionalProperties: false })

export const CompleteReply = Type.Object({ state: Type.String() })

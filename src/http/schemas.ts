import { Type, type Static } from 'typebox'
import { Nullable } from './schema-parts.js'
import { Ledger } from './present-ledger.js'
import { Work, WorkEstimate } from './work-schemas.js'

/** RFC 3339 instant with an explicit offset; parsed to epoch ms by the routes. */
const DateTime = (description: string) => Type.String({ format: 'date-time', description })

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() })))
}, { description: 'RFC 9457 problem details' })

export const PoolName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'pool name' })
export const ZoneName = Type.String({ minLength: 1, maxLength: 64, description: 'grid zone, e.g. DE or US-CAL-CISO' })

const Risk = Type.Union([Type.Literal('neutral'), Type.Literal('averse')], {
  description: 'how planning weighs forecast uncertainty: neutral (the default) minimises the median (p50) emissions; averse minimises the window\'s p90 emissions, where the forecast gives quantiles'
})

export const JobInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  gpus: Type.Integer({ minimum: 1, maximum: 100_000 }),
  durationMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 44_640, description: 'expected run time, minutes (≤ 31 days); or give work' })),
  work: Type.Optional(Work),
  deadline: DateTime('the job must have finished by this instant'),
  notBefore: Type.Optional(DateTime('earliest start')),
  interruptible: Type.Optional(Type.Boolean({ description: 'checkpointing job that may run in several segments' })),
  minSegmentMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 1440, description: 'shortest segment, default 30' })),
  pools: Type.Optional(Type.Array(PoolName, { minItems: 1, maxItems: 100, uniqueItems: true })),
  zones: Type.Optional(Type.Array(ZoneName, { minItems: 1, maxItems: 100, uniqueItems: true })),
  preferredPool: Type.Optional(PoolName),
  wattsPerGpu: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 5000 })),
  energyKwh: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000_000, description: 'the job\'s whole IT energy (GPUs and host), kWh, before PUE: the pool\'s PUE applies to it as to wattsPerGpu' })),
  sciUnit: Type.Optional(Type.Union([Type.Literal('job'), Type.Literal('gpu-hour')], { description: 'the functional unit of the ledger\'s SCI figure, default job' })),
  risk: Type.Optional(Risk),
  command: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { minItems: 1, maxItems: 256, description: 'argv, run without a shell' })),
  payload: Type.Optional(Type.Unknown({ description: 'opaque JSON handed to the executor' })),
  labels: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.:/-]{1,63}$' }), Type.String({ maxLength: 256 }), {
    maxProperties: 50, additionalProperties: false, description: 'keys: letters, digits and _ . : / - (1–63 characters)'
  }))
}, { additionalProperties: false })
export type JobInput = Static<typeof JobInput>

const Segment = Type.Object({ start: Type.String({ format: 'date-time' }), end: Type.String({ format: 'date-time' }) })
const Gas = Type.Union([Type.Literal('co2'), Type.Literal('co2e')], { description: 'what the grams count: CO2 alone, or CO2-equivalents' })
const FactorType = Type.Union([Type.Literal('lifecycle'), Type.Literal('direct'), Type.Literal('marginal')], {
  description: 'which emissions the intensity covers: life cycle (construction, fuel supply, combustion), direct (combustion) or the marginal plant\'s'
})
const Figure = {
  grams: Type.Number({ description: 'grams of `gas`' }),
  signal: Type.Union([Type.Literal('average'), Type.Literal('marginal')]),
  gas: Gas,
  factorType: FactorType,
  source: Type.String({ description: 'where the intensity came from, with its version after @ (a file\'s content hash, an API\'s fetch time)' }),
  method: Type.Union([Type.Literal('expected'), Type.Literal('measured'), Type.Literal('estimated')]),
  usesFallback: Type.Boolean({ description: 'priced partly on the fallback profile beyond the forecast horizon' })
}

const Band = Type.Object({
  p10: Type.Number({ description: 'grams at the forecast\'s 10th percentile' }),
  p90: Type.Number({ description: 'grams at the forecast\'s 90th percentile' })
}, { description: 'the p10–p90 band around `grams`, from the quantiles of greenshift\'s own forecast; hours priced on a provider\'s forecast, which gives none, count at their value in both' })

export const Plan = Type.Object({
  pool: Type.String(),
  zone: Type.String(),
  segments: Type.Array(Segment),
  latestSafeStart: Type.String({ format: 'date-time' }),
  energyKwh: Type.Number(),
  expected: Type.Object({ ...Figure, band: Type.Optional(Band) }, { description: 'the median (p50) emissions of the planned window; `band` when the forecast gave quantiles' }),
  baseline: Type.Object({
    ...Figure,
    pool: Type.String(),
    start: Type.String({ format: 'date-time', description: 'max(submittedAt, notBefore); the earliest start when the pool\'s series does not reach back that far' }),
    rule: Type.Union([Type.Literal('preferred'), Type.Literal('home'), Type.Literal('config-order')], {
      description: 'how the baseline pool was chosen: the job\'s preferredPool, its tenant\'s homePool, or the first of its pools (in configuration order unless it named them) that could run it'
    })
  }, { description: 'the counterfactual: the job started at once on the baseline pool, drawing that pool\'s power (its power model × PUE)' }),
  expectedAvoided: Type.Object({
    grams: Type.Number(),
    percent: Type.Number({ description: '100 × avoided / baseline' }),
    signal: Figure.signal,
    gas: Gas,
    factorType: FactorType,
    source: Type.String()
  }),
  plannedAt: Type.String({ format: 'date-time' })
})

export const JobState = Type.Union([
  Type.Literal('pending'), Type.Literal('planned'), Type.Literal('dispatched'), Type.Literal('running'),
  Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')
])

export const Job = Type.Object({
  id: Type.String(),
  name: Type.String(),
  state: JobState,
  gpus: Type.Integer(),
  durationMinutes: Type.Integer(),
  deadline: Type.String({ format: 'date-time' }),
  notBefore: Nullable(Type.String({ format: 'date-time' })),
  interruptible: Type.Boolean(),
  minSegmentMinutes: Type.Integer(),
  pools: Type.Array(Type.String()),
  zones: Type.Array(Type.String()),
  preferredPool: Nullable(Type.String()),
  wattsPerGpu: Nullable(Type.Number()),
  energyKwh: Nullable(Type.Number()),
  sciUnit: Type.Union([Type.Literal('job'), Type.Literal('gpu-hour')]),
  risk: Risk,
  command: Nullable(Type.Array(Type.String())),
  payload: Type.Unknown(),
  labels: Type.Record(Type.String(), Type.String()),
  submittedAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  plan: Nullable(Plan),
  work: Nullable(Work),
  estimate: Nullable(WorkEstimate)
})

export const JobEvent = Type.Object({
  at: Type.String({ format: 'date-time' }),
  type: Type.String(),
  fromState: Nullable(Type.String()),
  toState: Nullable(Type.String()),
  reason: Type.String()
})

export const JobRun = Type.Object({
  attempt: Type.Integer(),
  pool: Type.String(),
  executor: Type.String({ description: 'agent, webhook or slurm' }),
  ref: Nullable(Type.String({ description: 'the executor\'s id for the run: Slurm job id, agent name' })),
  dispatchedAt: Type.String({ format: 'date-time' }),
  acceptedAt: Nullable(Type.String({ format: 'date-time' })),
  startedAt: Nullable(Type.String({ format: 'date-time' })),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  heartbeatAt: Nullable(Type.String({ format: 'date-time' })),
  progress: Nullable(Type.Number()),
  exitCode: Nullable(Type.Integer()),
  energyKwh: Nullable(Type.Number({ description: 'energy measured by the executor, kWh at the wall' })),
  outcome: Nullable(Type.String({ description: 'succeeded, failed, cancelled, lost (its agent or receiver went silent) or refused (the executor turned the hand-over down for good); null while open' })),
  detail: Nullable(Type.String())
})

export const JobSegment = Type.Object({
  kind: Type.String({ description: 'planned (current plan) or actual (what ran)' }),
  pool: Type.String(),
  start: Type.String({ format: 'date-time' }),
  end: Type.String({ format: 'date-time' })
})

export const JobDetail = Type.Object({
  ...Job.properties,
  events: Type.Array(JobEvent),
  runs: Type.Array(JobRun, { description: 'each hand-over to an executor, first attempt first' }),
  segments: Type.Array(JobSegment),
  ledger: Nullable(Ledger)
})

export const JobPage = Type.Object({
  jobs: Type.Array(Job),
  nextCursor: Nullable(Type.String({ description: 'pass as ?cursor= for the next page' }))
})

export const QuoteOption = Type.Object({
  pool: Type.String(),
  zone: Type.String(),
  start: Type.String({ format: 'date-time' }),
  grams: Figure.grams,
  band: Type.Optional(Band),
  gas: Gas,
  factorType: FactorType,
  usesFallback: Type.Boolean()
})

export const Quote = Type.Object({
  plan: Plan,
  estimate: Nullable(WorkEstimate),
  options: Type.Array(QuoteOption, { description: 'the best window in each eligible pool, cheapest first' })
})

const ChainMember = Type.Object({
  provider: Type.String({ description: 'provider id, e.g. watttime' }),
  region: Nullable(Type.String({ description: "the provider's region id for this zone (csv: the file name)" })),
  signal: Figure.signal,
  lastSuccessAt: Nullable(Type.String({ format: 'date-time' })),
  lastErrorAt: Nullable(Type.String({ format: 'date-time' })),
  lastError: Nullable(Type.String({ description: 'the last error or gap (too short an answer) seen from this provider' }))
})

export const Zone = Type.Object({
  name: Type.String(),
  provider: Type.String({ description: 'the first (primary) provider' }),
  signal: Figure.signal,
  gas: Type.Union([Type.Literal('co2'), Type.Literal('co2e')], { description: 'what the primary provider\'s intensity counts' }),
  factorType: Type.Union([Type.Literal('lifecycle'), Type.Literal('direct'), Type.Literal('marginal')], { description: 'which emissions the primary provider\'s factors cover' }),
  pools: Type.Array(Type.String()),
  refreshMinutes: Type.Integer({ description: 'how often the forecast and recent actuals are fetched' }),
  chain: Type.Array(ChainMember, { description: 'the providers tried in order, with what each last did (since this process started)' }),
  forecast: Type.Object({
    fetchedAt: Nullable(Type.String({ format: 'date-time' })),
    ageSeconds: Nullable(Type.Number()),
    horizonEnd: Nullable(Type.String({ format: 'date-time' })),
    lastError: Nullable(Type.String()),
    answeredBy: Nullable(Type.String({ description: 'the provider whose answer is the newest stored forecast' })),
    source: Nullable(Type.String({ description: 'source label of the newest stored forecast, e.g. watttime:CAISO_NORTH:co2_moer' })),
    signal: Nullable(Figure.signal),
    gas: Nullable(Gas),
    factorType: Nullable(FactorType),
    version: Nullable(Type.String({ description: 'the version of the newest stored forecast: a file\'s content hash, or the fetch time of an API\'s answer' }))
  })
})

export const IntensityPoint = Type.Object({
  start: Type.String({ format: 'date-time' }),
  end: Type.String({ format: 'date-time' }),
  gPerKwh: Type.Number({ description: 'the value, or a forecast\'s median' }),
  p10: Type.Optional(Type.Number({ description: 'the forecast\'s 10th percentile, where greenshift\'s own forecaster gives it' })),
  p90: Type.Optional(Type.Number({ description: 'the forecast\'s 90th percentile, where greenshift\'s own forecaster gives it' })),
  kind: Type.Union([Type.Literal('forecast'), Type.Literal('actual'), Type.Literal('fallback')])
})

export const IntensityResponse = Type.Object({
  zone: Type.String(),
  signal: Figure.signal,
  gas: Gas,
  factorType: FactorType,
  source: Type.String(),
  version: Nullable(Type.String({ description: 'the version of the forecast (or, for a range in the past, the actuals): a file\'s content hash, or an API\'s fetch time' })),
  unit: Type.Union([Type.Literal('gCO2e/kWh'), Type.Literal('gCO2/kWh')]),
  points: Type.Array(IntensityPoint)
})

/** Standard error responses every authenticated route can give (408: the request arrived too slowly; 429: the key's rate limit). */
export const errorResponses = {
  400: Problem, 401: Problem, 403: Problem, 404: Problem, 408: Problem, 422: Problem, 429: Problem, 503: Problem
} as const

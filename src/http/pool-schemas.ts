import { Type, type Static } from 'typebox'
import { Nullable } from './schema-parts.js'
import { PoolName, ZoneName } from './schemas.js'

// A GPU pool over the API: where it is, its power model and accounting settings, its executor.

/** Executors are reached over HTTP(S) only: no file:, gopher: or other schemes. */
const HttpUrl = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 })

/** The name of an environment variable on the server that holds a secret (never the secret itself). */
const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$', description: 'name of an environment variable on the server holding the secret' })

const Executor = Type.Union([
  Type.Object({ kind: Type.Literal('agent') }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('webhook'), url: HttpUrl, secretEnv: EnvName }, { additionalProperties: false }),
  Type.Object({
    kind: Type.Literal('slurm'),
    url: HttpUrl,
    partition: Type.String({ minLength: 1, maxLength: 64 }),
    user: Type.String({ minLength: 1, maxLength: 64, description: 'the user the Slurm JWT was issued for' }),
    tokenEnv: EnvName
  }, { additionalProperties: false })
])

const Embodied = Nullable(Type.Number({ minimum: 0, maximum: 100_000, description: 'embodied carbon, gCO2e per GPU-hour; reported apart from operational figures' }))

// The host (CPUs, RAM, NICs) draws a few hundred W per GPU, an idle GPU tens of W: 2 kW per GPU is a typo.
const AccountingWatts = (description: string) => Type.Number({ minimum: 0, maximum: 2000, description })
const HostWatts = AccountingWatts('IT power of the host (CPU, RAM, network) per GPU while a job runs, W; added to the GPU power, × PUE')
const IdleWatts = AccountingWatts('IT power of an unallocated GPU, W; the emissions report\'s idle rows (operator only)')
const MarketKind = Type.Union([Type.Literal('contract'), Type.Literal('residual-mix')], { description: 'a contractual instrument (PPA, certificates, supplier rate) or the residual mix' })
const MarketFields = {
  gPerKwh: Type.Number({ minimum: 0, maximum: 5000, description: 'market-based Scope 2 factor, gCO2e/kWh' }),
  instrument: Type.String({ minLength: 1, maxLength: 200, description: 'what the factor rests on, e.g. "PPA wind 2026" or "AIB residual mix DE 2025"' })
}
const Market = Nullable(Type.Object({ ...MarketFields, kind: MarketKind }, {
  additionalProperties: false, description: 'the pool\'s market-based Scope 2 factor (GHG Protocol); null: none, location-based stands in'
}))
const MarketInput = Nullable(Type.Object({ ...MarketFields, kind: Type.Optional(MarketKind) }, {
  additionalProperties: false, description: 'the pool\'s market-based Scope 2 factor (GHG Protocol), kind "contract" unless stated; null: none'
}))
export type MarketInput = Static<typeof MarketInput>

const PoolFields = {
  zone: ZoneName,
  gpuModel: Type.String({ minLength: 1, maxLength: 100 }),
  gpuCount: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  wattsPerGpu: Type.Number({ minimum: 1, maximum: 5000 }),
  pue: Type.Number({ minimum: 1, maximum: 3 }),
  executor: Executor,
  enabled: Type.Boolean(),
  embodiedGPerGpuHour: Embodied,
  hostWattsPerGpu: HostWatts,
  idleWattsPerGpu: IdleWatts,
  market: Market
}

export const Pool = Type.Object({ name: Type.String(), ...PoolFields })
export const PoolInput = Type.Object({
  name: PoolName,
  ...PoolFields,
  enabled: Type.Optional(Type.Boolean()),
  embodiedGPerGpuHour: Type.Optional(Embodied),
  hostWattsPerGpu: Type.Optional(HostWatts),
  idleWattsPerGpu: Type.Optional(IdleWatts),
  market: Type.Optional(MarketInput)
}, { additionalProperties: false })
export type PoolInput = Static<typeof PoolInput>
export const PoolPatch = Type.Partial(Type.Object({
  gpuModel: PoolFields.gpuModel,
  gpuCount: PoolFields.gpuCount,
  wattsPerGpu: PoolFields.wattsPerGpu,
  pue: PoolFields.pue,
  executor: Executor,
  enabled: PoolFields.enabled,
  embodiedGPerGpuHour: Embodied,
  hostWattsPerGpu: HostWatts,
  idleWattsPerGpu: IdleWatts,
  market: MarketInput
}), { additionalProperties: false, minProperties: 1 })
export type PoolPatch = Static<typeof PoolPatch>

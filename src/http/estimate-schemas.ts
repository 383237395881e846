import { Type, type Static } from 'typebox'
import { Nullable } from './schema-parts.js'
import { PoolName } from './schemas.js'
import { EstimateMethod, Work } from './work-schemas.js'

// A job's work as its user knows it, and what it would take on each pool (POST /v1/estimates).

export const EstimateInput = Type.Object({
  work: Work,
  gpus: Type.Integer({ minimum: 1, maximum: 100_000 }),
  pools: Type.Optional(Type.Array(PoolName, { minItems: 1, maxItems: 100, uniqueItems: true, description: 'default: every enabled pool' })),
  family: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'the history family, as a job\'s labels.family; default method:parameters' }))
}, { additionalProperties: false })
export type EstimateInput = Static<typeof EstimateInput>

const Range = (unit: string) => Type.Object({
  low: Type.Number({ description: `${unit} at the high end of the MFU range` }),
  mid: Type.Number({ description: `${unit} at the method's default MFU` }),
  high: Type.Number({ description: `${unit} at the low end of the MFU range` })
})

const Assumptions = Type.Object({
  flops: Type.Number({ description: 'model FLOPs: flopsPerParamToken × N × T' }),
  flopsPerParamToken: Type.Number(),
  tokens: Type.Number({ description: 'T: tokens × epochs' }),
  gpuModel: Type.String({ description: 'the GPU table\'s name for the pool\'s model' }),
  computeAt: Type.Union([Type.Literal('bf16'), Type.Literal('fp16'), Type.Literal('fp32')]),
  peakTflopsPerGpu: Type.Number({ description: 'dense peak from the vendor datasheet' }),
  mfu: Type.Number({ description: 'model FLOPs utilisation behind mid' }),
  mfuRange: Type.Array(Type.Number(), { minItems: 2, maxItems: 2 }),
  kw: Type.Number({ description: 'the job\'s power on the pool: GPUs and host × PUE, kW' }),
  source: Type.String({ description: 'the datasheet the peak comes from' }),
  notes: Type.Array(Type.String())
})

export const PoolEstimate = Type.Object({
  pool: Type.String(),
  gpuModel: Type.String({ description: 'as the pool names it' }),
  durationMinutes: Nullable(Range('minutes')),
  energyKwh: Nullable(Range('kWh at the facility boundary (× PUE)')),
  method: EstimateMethod,
  runs: Type.Optional(Type.Integer({ description: 'measured runs behind an estimated:history figure' })),
  assumptions: Nullable(Assumptions),
  note: Type.Optional(Type.String({ description: 'why the figures are null' })),
  flops: Type.Optional(Type.Object({ durationMinutes: Range('minutes'), energyKwh: Range('kWh') }, { description: 'with estimated:history, what FLOPs alone would have said' }))
})

export const Estimates = Type.Object({
  family: Type.String({ description: 'the family whose measured runs were looked up' }),
  estimates: Type.Array(PoolEstimate, { description: 'one per allowed pool that can hold the GPUs, in configuration order' })
})

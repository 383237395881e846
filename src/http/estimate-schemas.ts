import { Type, type Static } from 'typebox'
import { Nullable } from './schema-parts.js'
import { PoolName } from './schemas.js'

// A job's work as its user knows it, and what it would take on each pool (POST /v1/estimates).

const Method = Type.Union([Type.Literal('full'), Type.Literal('lora'), Type.Literal('qlora'), Type.Literal('inference')], {
  description: 'full fine-tune (6·N·T FLOPs), LoRA or QLoRA (4·N·T: frozen weights need no weight gradients), or inference (2·N·T)'
})
const Precision = Type.Union([Type.Literal('bf16'), Type.Literal('fp16'), Type.Literal('fp32'), Type.Literal('int8'), Type.Literal('int4')], {
  description: 'the weights\' precision, default bf16; int8 and int4 weights are multiplied at 16 bits'
})

// 1e13 parameters is 10× the largest model anyone has trained; 1e15 tokens 50× the largest corpus.
export const Work = Type.Object({
  parameters: Type.Number({ exclusiveMinimum: 0, maximum: 1e13, description: 'model parameters, N, e.g. 7e9' }),
  tokens: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e15, description: 'tokens per epoch; or give samples and seqLen' })),
  samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 1e12, description: 'samples per epoch' })),
  seqLen: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'tokens per sample (padded length, or the mean with packing)' })),
  epochs: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000, description: 'passes over the tokens, default 1' })),
  method: Method,
  precision: Type.Optional(Precision)
}, { additionalProperties: false, description: 'what the job computes: T = tokens (or samples × seqLen) × epochs' })

export const EstimateInput = Type.Object({
  work: Work,
  gpus: Type.Integer({ minimum: 1, maximum: 100_000 }),
  pools: Type.Optional(Type.Array(PoolName, { minItems: 1, maxItems: 100, uniqueItems: true, description: 'default: every enabled pool' }))
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
  method: Type.Literal('estimated:flops'),
  assumptions: Nullable(Assumptions),
  note: Type.Optional(Type.String({ description: 'why the figures are null' }))
})

export const Estimates = Type.Object({
  estimates: Type.Array(PoolEstimate, { description: 'one per allowed pool that can hold the GPUs, in configuration order' })
})

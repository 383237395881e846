import { Type } from 'typebox'

// A job's work as its user knows it, and the estimates made from it: shared by jobs, quotes,
// estimates and the energy history. (Apart from schemas.ts, which imports it.)

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

export const Range = (unit: string) => Type.Object({
  low: Type.Number({ description: `${unit}, the low end` }),
  mid: Type.Number({ description: `${unit}, the figure used` }),
  high: Type.Number({ description: `${unit}, the high end` })
})

export const EstimateMethod = Type.Union([Type.Literal('estimated:flops'), Type.Literal('estimated:history')], {
  description: 'estimated:flops: from FLOPs, the GPU\'s peak and an MFU (range: the MFU\'s); estimated:history: the median measured kWh and GPU-minutes per token of this tenant\'s runs of the same family on the same GPU model × T (range: the runs\' spread, ±10 % with one run)'
})

const PoolWorkEstimate = Type.Object({
  pool: Type.String(),
  gpuModel: Type.String({ description: 'as the pool names it' }),
  method: EstimateMethod,
  durationMinutes: Range('minutes'),
  energyKwh: Range('kWh at the facility boundary (× PUE)'),
  runs: Type.Optional(Type.Integer({ description: 'measured runs behind an estimated:history figure' }))
})

export const WorkEstimate = Type.Object({
  family: Type.String({ description: 'the history family: labels.family, else method:parameters' }),
  pool: Type.String({ description: 'the pool whose estimate set the duration: the longest mid of the job\'s pools, so the deadline holds on any of them' }),
  method: EstimateMethod,
  durationMinutes: Range('minutes'),
  energyKwh: Range('kWh at the facility boundary (× PUE)'),
  runs: Type.Optional(Type.Integer()),
  pools: Type.Array(PoolWorkEstimate, { description: 'the estimate on each pool the job may use' }),
  excluded: Type.Array(Type.Object({ pool: Type.String(), reason: Type.String() }), { description: 'allowed pools left out: nothing could estimate the work there' })
}, { description: 'the estimate a job that gave work was planned with; its durationMinutes is the mid duration, rounded up' })

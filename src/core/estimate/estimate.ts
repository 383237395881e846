import { jobPowerKw, type PowerPool } from '../emissions.js'
import { HOUR_MS } from '../types.js'
import { gpuPeak, type GpuPeak } from './gpus.js'

export type WorkMethod = 'full' | 'lora' | 'qlora' | 'inference'
export type WorkPrecision = 'bf16' | 'fp16' | 'fp32' | 'int8' | 'int4'

/**
 * What a job does, as its user knows it: "LoRA fine-tune of a 7B model over 1 epoch of 52k samples
 * of 512 tokens". Tokens are given as `tokens`, or as `samples` × `seqLen`, never both.
 */
export interface Work {
  /** Model parameters, N. */
  parameters: number
  /** Tokens per epoch. */
  tokens?: number | undefined
  samples?: number | undefined
  /** Tokens per sample (padded length, or the mean length with packing). */
  seqLen?: number | undefined
  /** Passes over the tokens; default 1. */
  epochs?: number | undefined
  method: WorkMethod
  /** The weights' precision; default bf16. int8/int4 are stored weights, computed at 16 bits (below). */
  precision?: WorkPrecision | undefined
}

export interface Range { low: number, mid: number, high: number }

export interface WorkEstimate {
  durationMinutes: Range
  energyKwh: Range
  method: 'estimated:flops'
  assumptions: {
    /** Total model FLOPs: `flopsPerParamToken` × N × T. */
    flops: number
    flopsPerParamToken: number
    /** T: tokens × epochs. */
    tokens: number
    gpuModel: string
    /** The matmul rate the work runs at on this GPU, and its peak per GPU. */
    computeAt: 'bf16' | 'fp16' | 'fp32'
    peakTflopsPerGpu: number
    /** Model FLOPs utilisation behind `mid`; `low` duration assumes `mfuRange[1]`, `high` `mfuRange[0]`. */
    mfu: number
    mfuRange: [number, number]
    /** Power at the facility boundary (GPUs + host) × PUE, kW. */
    kw: number
    source: string
    notes: string[]
  }
}

/** A pool the estimate runs on: its GPU model and its power model. */
export type EstimatePool = PowerPool & { gpuModel: string }

/**
 * Model FLOPs per parameter per token.
 * - full: forward 2N (one multiply-add per weight) + backward 4N (activation gradients 2N, weight
 *   gradients 2N): 6N (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", §2.1).
 * - lora, qlora: forward 2N + backward 2N. The backward pass still carries activation gradients
 *   through the frozen weights down to the adapters of earlier layers, but frozen weights need no
 *   weight gradients, so their 2N is skipped. Adapter matmuls (rank r ≪ hidden size) add under 1 %
 *   and are left out. QLoRA's dequantisation of 4-bit weights costs time, not model FLOPs: it is in
 *   its lower MFU, not here.
 * - inference: forward only, 2N.
 * Gradient checkpointing would add a second forward (2N) to each; it is not assumed.
 */
export const FLOPS_PER_PARAM_TOKEN: Record<WorkMethod, number> = { full: 6, lora: 4, qlora: 4, inference: 2 }

/**
 * Default model FLOPs utilisation, a prior rather than a measurement: large-scale training reaches
 * 40–55 % (PaLM reports 46 %); a single-node fine-tune with a stock trainer sits nearer 40 %. LoRA's
 * shorter backward leaves data loading, optimizer and memory-bound kernels a larger share: 30 %.
 * QLoRA dequantises every 4-bit weight to BF16 before each matmul, forward and backward: 20 %.
 * Inference is mostly memory-bound decoding: 25 % for batched offline runs.
 */
export const DEFAULT_MFU: Record<WorkMethod, number> = { full: 0.40, lora: 0.30, qlora: 0.20, inference: 0.25 }

/** The range around the default MFU: a run 1.5× as efficient gives `low` duration, 0.6× `high`. */
export const MFU_SPREAD: [number, number] = [0.6, 1.5]

/** A field of `work` that cannot be estimated, and why; undefined when it can. */
export function checkWork (work: Work): { field: string, message: string } | undefined {
  const bad = (field: string, message: string) => ({ field: `work.${field}`, message })
  if (!(work.parameters > 0) || !Number.isFinite(work.parameters)) return bad('parameters', 'must be a positive number of model parameters, e.g. 7e9')
  if (work.tokens !== undefined && (work.samples !== undefined || work.seqLen !== undefined)) return bad('tokens', 'give tokens, or samples and seqLen, not both')
  if (work.tokens === undefined) {
    if (work.samples === undefined) return bad('tokens', 'give tokens, or samples and seqLen')
    if (work.seqLen === undefined) return bad('seqLen', 'samples needs seqLen (tokens per sample)')
  }
  if (work.epochs !== undefined && !(work.epochs > 0)) return bad('epochs', 'must be positive')
  return undefined
}

/** T: the tokens the work processes over all its epochs. */
export function workTokens (work: Work): number {
  const perEpoch = work.tokens ?? (work.samples ?? 0) * (work.seqLen ?? 0)
  return perEpoch * (work.epochs ?? 1)
}

/** Model FLOPs of the work (see FLOPS_PER_PARAM_TOKEN). */
export function workFlops (work: Work): number {
  return FLOPS_PER_PARAM_TOKEN[work.method] * work.parameters * workTokens(work)
}

/**
 * The rate the work's matmuls run at. int8/int4 weights (bitsandbytes, GPTQ, QLoRA's NF4) are
 * dequantised and multiplied at 16 bits, so they count at the 16-bit tensor rate. BF16 on a GPU
 * without BF16 units (V100, T4) is emulated: the FP32 rate at best.
 */
function computeRate (peak: GpuPeak, precision: WorkPrecision, notes: string[]): { at: 'bf16' | 'fp16' | 'fp32', tflops: number } {
  if (precision === 'fp32') return { at: 'fp32', tflops: peak.fp32 }
  if (precision === 'fp16') return { at: 'fp16', tflops: peak.fp16 }
  if (peak.bf16 !== null) return { at: 'bf16', tflops: peak.bf16 }
  if (precision === 'bf16') {
    notes.push(`${peak.model} has no BF16 tensor units: bf16 is figured at the FP32 rate; fp16 would run ${(peak.fp16 / peak.fp32).toFixed(1)}× faster`)
    return { at: 'fp32', tflops: peak.fp32 }
  }
  return { at: 'fp16', tflops: peak.fp16 }
}

// Three significant digits: the range itself spans 0.6–1.5× the middle, so a fourth would be noise.
const sig = (x: number) => Number(x.toPrecision(3))

/**
 * Duration and energy of `work` on `gpus` GPUs of `pool`: FLOPs / (gpus × peak × MFU), scaling
 * linearly with GPUs, then × the pool's power (GPUs and host, × PUE, as `jobPowerKw` figures it).
 * Undefined when the table does not know the pool's GPU model. Throws on work `checkWork` refuses.
 */
export function estimateWork (work: Work, pool: EstimatePool, gpus: number): WorkEstimate | undefined {
  const refused = checkWork(work)
  if (refused !== undefined) throw new RangeError(`${refused.field}: ${refused.message}`)
  const peak = gpuPeak(pool.gpuModel)
  if (peak === undefined) return undefined
  const notes: string[] = []
  const rate = computeRate(peak, work.precision ?? 'bf16', notes)
  const flops = workFlops(work)
  const mfu = DEFAULT_MFU[work.method]
  const seconds = (m: number) => flops / (gpus * rate.tflops * 1e12 * mfu * m)
  const [slow, fast] = MFU_SPREAD
  const ms = { low: seconds(fast) * 1000, mid: seconds(1) * 1000, high: seconds(slow) * 1000 }
  const kw = jobPowerKw({ gpus, durationMs: HOUR_MS }, pool)
  const kwh = (t: number) => sig(kw * t / HOUR_MS)
  const minutes = (t: number) => sig(t / 60_000)
  return {
    durationMinutes: { low: minutes(ms.low), mid: minutes(ms.mid), high: minutes(ms.high) },
    energyKwh: { low: kwh(ms.low), mid: kwh(ms.mid), high: kwh(ms.high) },
    method: 'estimated:flops',
    assumptions: {
      flops,
      flopsPerParamToken: FLOPS_PER_PARAM_TOKEN[work.method],
      tokens: workTokens(work),
      gpuModel: peak.model,
      computeAt: rate.at,
      peakTflopsPerGpu: rate.tflops,
      mfu,
      mfuRange: [sig(mfu * slow), sig(mfu * fast)],
      kw: sig(kw),
      source: peak.source,
      notes
    }
  }
}

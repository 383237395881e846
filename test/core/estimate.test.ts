import { describe, expect, test } from 'vitest'
import { checkWork, estimateWork, workFlops, workTokens, type EstimatePool, type Work } from '../../src/core/estimate/estimate.js'
import { gpuPeak, KNOWN_GPUS, normalizedGpuName } from '../../src/core/estimate/gpus.js'

const A4000: EstimatePool = { gpuModel: 'RTX-A4000', wattsPerGpu: 140, pue: 1 }
const LORA_7B: Work = { parameters: 7e9, samples: 52_000, seqLen: 512, epochs: 1, method: 'lora', precision: 'bf16' }

describe('FLOPs', () => {
  test('6·N·T for a full fine-tune, 4·N·T for LoRA and QLoRA, 2·N·T for inference; T counts every epoch', () => {
    const base = { parameters: 1e9, tokens: 1e6, epochs: 3 }
    expect(workTokens({ ...base, method: 'full' })).toBe(3e6)
    expect(workFlops({ ...base, method: 'full' })).toBe(6 * 1e9 * 3e6)
    expect(workFlops({ ...base, method: 'lora' })).toBe(4 * 1e9 * 3e6)
    expect(workFlops({ ...base, method: 'qlora' })).toBe(4 * 1e9 * 3e6)
    expect(workFlops({ ...base, method: 'inference' })).toBe(2 * 1e9 * 3e6)
    // samples × seqLen is tokens; epochs default to 1.
    expect(workTokens({ parameters: 1, samples: 52_000, seqLen: 512, method: 'lora' })).toBe(26_624_000)
  })

  test('checkWork names the field that cannot be estimated', () => {
    expect(checkWork(LORA_7B)).toBeUndefined()
    expect(checkWork({ ...LORA_7B, parameters: 0 })?.field).toBe('work.parameters')
    expect(checkWork({ ...LORA_7B, tokens: 5 })?.field).toBe('work.tokens')
    expect(checkWork({ parameters: 7e9, method: 'lora' })?.field).toBe('work.tokens')
    expect(checkWork({ parameters: 7e9, samples: 10, method: 'lora' })?.field).toBe('work.seqLen')
    expect(checkWork({ ...LORA_7B, epochs: 0 })?.field).toBe('work.epochs')
    expect(() => estimateWork({ ...LORA_7B, epochs: -1 }, A4000, 1)).toThrow(/work\.epochs/)
  })
})

describe('GPU table', () => {
  test('finds each model the pools use under its usual spellings', () => {
    expect(gpuPeak('A100-SXM4-80GB')?.bf16).toBe(312)
    expect(gpuPeak('NVIDIA A100 80GB PCIe')?.model).toBe('A100-SXM4-80GB')
    expect(gpuPeak('H100-SXM5-80GB')?.bf16).toBe(989.5)
    expect(gpuPeak('h100 pcie')?.bf16).toBe(756.5)
    expect(gpuPeak('L40S')?.fp32).toBe(91.6)
    for (const name of ['RTX A4000', 'RTX-A4000', 'NVIDIA RTX A4000', 'a4000']) expect(gpuPeak(name)?.fp16).toBe(76.7)
    expect(gpuPeak('NVIDIA A10')?.bf16).toBe(125)
    expect(gpuPeak('Tesla V100-SXM2-32GB')).toMatchObject({ fp16: 125, bf16: null })
    expect(gpuPeak('Tesla T4')?.fp16).toBe(65)
    expect(gpuPeak('NVIDIA GeForce RTX 4090')?.bf16).toBe(165.2)
    expect(normalizedGpuName('A100-SXM4-80GB')).toBe('A100SXM')
  })

  test('does not confuse A10 with A100, and knows nothing of unknown models', () => {
    expect(gpuPeak('A10')?.model).toBe('A10')
    expect(gpuPeak('A100')?.model).toBe('A100-SXM4-80GB')
    expect(gpuPeak('simulated')).toBeUndefined()
    expect(gpuPeak('L4')).toBeUndefined()
    expect(estimateWork(LORA_7B, { ...A4000, gpuModel: 'MI300X' }, 1)).toBeUndefined()
    expect(KNOWN_GPUS).toHaveLength(10)
  })
})

describe('estimateWork', () => {
  test('time is FLOPs / (gpus × peak × MFU), the range from MFU × 1.5 and × 0.6, energy × the pool\'s power', () => {
    const work: Work = { parameters: 1e9, tokens: 1e9, method: 'full' }
    const pool: EstimatePool = { gpuModel: 'A100-SXM4-80GB', wattsPerGpu: 400, hostWattsPerGpu: 100, pue: 1.2 }
    const e = estimateWork(work, pool, 4)!
    // 6e18 FLOPs / (4 × 312e12 × 0.40) = 12,019 s = 200.3 min; 4 × 500 W × 1.2 = 2.4 kW.
    // Three significant digits: 200.3 / 1.5 = 133.5, 200.3 / 0.6 = 333.9.
    expect(e.durationMinutes).toEqual({ low: 134, mid: 200, high: 334 })
    expect(e.assumptions.kw).toBe(2.4)
    expect(e.energyKwh.mid).toBe(8.01)
    expect(e.energyKwh.low).toBeLessThan(e.energyKwh.mid)
    expect(e.assumptions).toMatchObject({ flops: 6e18, computeAt: 'bf16', peakTflopsPerGpu: 312, mfu: 0.4, mfuRange: [0.24, 0.6] })
    // Twice the GPUs, half the time, the same energy.
    const eight = estimateWork(work, pool, 8)!
    expect(eight.durationMinutes.mid).toBeCloseTo(e.durationMinutes.mid / 2, 1)
    expect(eight.energyKwh.mid).toBeCloseTo(e.energyKwh.mid, 2)
  })

  test('precision picks the rate: fp32 on CUDA cores, int4 at 16 bits, bf16 on a V100 at FP32 with a note', () => {
    const work: Work = { parameters: 1e9, tokens: 1e9, method: 'inference' }
    const l40s = { gpuModel: 'L40S', wattsPerGpu: 350, pue: 1 }
    expect(estimateWork({ ...work, precision: 'fp32' }, l40s, 1)!.assumptions).toMatchObject({ computeAt: 'fp32', peakTflopsPerGpu: 91.6 })
    expect(estimateWork({ ...work, precision: 'int4' }, l40s, 1)!.assumptions).toMatchObject({ computeAt: 'bf16', peakTflopsPerGpu: 362.05 })
    const v100 = estimateWork(work, { gpuModel: 'V100', wattsPerGpu: 300, pue: 1 }, 1)!
    expect(v100.assumptions).toMatchObject({ computeAt: 'fp32', peakTflopsPerGpu: 15.7 })
    expect(v100.assumptions.notes[0]).toMatch(/no BF16/)
    expect(estimateWork({ ...work, precision: 'int8' }, { gpuModel: 'T4', wattsPerGpu: 70, pue: 1 }, 1)!.assumptions.computeAt).toBe('fp16')
  })

  test('the seed example: 7B LoRA, 1 epoch of 52k samples of 512 tokens, one RTX A4000 at 140 W, PUE 1', () => {
    const e = estimateWork(LORA_7B, A4000, 1)!
    // 4 × 7e9 × 26.6M = 7.45e17 FLOPs / (76.7e12 × 0.30) = 32,400 s = 9.0 h; × 0.14 kW = 1.26 kWh.
    expect(e.durationMinutes).toEqual({ low: 360, mid: 540, high: 900 })
    expect(e.energyKwh).toEqual({ low: 0.84, mid: 1.26, high: 2.1 })
    // Measured (CodeCarbon, GPU + CPU + RAM): 0.694 kWh in just under 4 h. The estimate is 1.8×
    // the measurement and the measurement lies below the range: the power (175 W measured on
    // average, host included) is right, the time is not. With padding to 512 tokens the run would
    // have taken 9 h at 30 % MFU; it took 4 h, so either its samples averaged nearer 230 tokens
    // (Alpaca-style samples are short) or it ran at ~68 % MFU, which an A4000 does not reach.
    const ratio = e.energyKwh.mid / 0.694
    console.log(`seed example: estimated ${e.energyKwh.mid} kWh (${e.energyKwh.low}–${e.energyKwh.high}), ${e.durationMinutes.mid} min; measured 0.694 kWh, < 240 min; ratio ${ratio.toFixed(2)}`)
    expect(ratio).toBeCloseTo(1.82, 2)
    expect(0.694).toBeLessThan(e.energyKwh.low)
  })
})

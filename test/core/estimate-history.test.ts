import { describe, expect, test } from 'vitest'
import { historyEstimate, historyGpuModel, jobWorkEstimate, workFamily } from '../../src/core/estimate/history.js'

const WORK = { parameters: 7e9, samples: 52_000, seqLen: 512, epochs: 2, method: 'lora' as const }
const T1 = 52_000 * 512
const seed = { tokens: T1, energyKwh: 0.694, durationMinutes: 237, gpus: 1 }

describe('estimates from measured runs', () => {
  test('one run scales by tokens, × PUE, ±10 %', () => {
    expect(historyEstimate(WORK, [seed], { pue: 1 }, 1)).toEqual({ energyKwh: { low: 1.25, mid: 1.39, high: 1.53 }, durationMinutes: { low: 427, mid: 474, high: 521 }, runs: 1 })
    expect(historyEstimate(WORK, [seed], { pue: 1.5 }, 2)?.energyKwh.mid).toBe(2.08)
    expect(historyEstimate(WORK, [seed], { pue: 1 }, 2)?.durationMinutes.mid).toBe(237)
    expect(historyEstimate(WORK, [], { pue: 1 }, 1)).toBeUndefined()
  })

  test('several runs: the median, the range their spread; one odd run does not move it', () => {
    const runs = [0.6, 0.62, 3].map(kwh => ({ ...seed, energyKwh: kwh }))
    expect(historyEstimate({ ...WORK, epochs: 1 }, runs, { pue: 1 }, 1)?.energyKwh).toEqual({ low: 0.6, mid: 0.62, high: 3 })
  })

  test('family: labels.family, else method:parameters; GPU names as the table knows them', () => {
    expect(workFamily(WORK)).toBe('lora:7000000000')
    expect(workFamily(WORK, { family: 'alpaca' })).toBe('alpaca')
    expect(workFamily(WORK, { family: ' ' })).toBe('lora:7000000000')
    expect(historyGpuModel('1 x NVIDIA RTX A4000')).toBe('RTX-A4000')
    expect(historyGpuModel('4 x NVIDIA A100-SXM4-40GB')).toBe('A100-SXM4-80GB')
    // nvidia-smi's (and so CodeCarbon's) names of the H100 SXM and PCIe cards.
    expect(historyGpuModel('1 x NVIDIA H100 80GB HBM3')).toBe('H100-SXM5-80GB')
    expect(historyGpuModel('NVIDIA H100 PCIe')).toBe('H100-PCIe-80GB')
    expect(historyGpuModel('AMD Instinct MI300X')).toBe('AMDINSTINCTMI300X')
  })

  test('a job is planned with the longest mid; history makes a GPU the table lacks estimable', () => {
    const pools = [
      { name: 'fast', gpuModel: 'H100', wattsPerGpu: 700, pue: 1 },
      { name: 'slow', gpuModel: 'A4000', wattsPerGpu: 140, pue: 1 },
      { name: 'mi', gpuModel: 'MI300X', wattsPerGpu: 750, pue: 1 }
    ]
    const plain = jobWorkEstimate(WORK, 'f', pools, 1, new Map())
    expect(plain).toMatchObject({ pool: 'slow', method: 'estimated:flops', excluded: [{ pool: 'mi' }] })
    const measured = jobWorkEstimate(WORK, 'f', pools, 1, new Map([['MI300X', [{ ...seed, durationMinutes: 2000 }]]]))
    expect(measured).toMatchObject({ pool: 'mi', method: 'estimated:history', runs: 1, excluded: [] })
    expect(jobWorkEstimate(WORK, 'f', [pools[2]!], 1, new Map())).toBeUndefined()
  })
})

import { describe, expect, test } from 'vitest'
import { amount } from '../../src/cli/client/work-spec.js'
import { useListeningApp } from './client-support.js'

// The fixture pools: gpu-north, 8 A100-SXM4-80GB at 400 W; gpu-south, 4 L40S at 500 W; PUE 1.
const { run } = useListeningApp()
const SEED = ['estimate', '--params', '7e9', '--samples', '52000', '--seq-len', '512', '--epochs', '1', '--method', 'lora']
const TIMEOUT = 60_000

describe('greenshift estimate', () => {
  test('prints each pool\'s duration and energy with their ranges, and the assumptions', async () => {
    const res = await run(SEED)
    expect(res).toMatchObject({ code: 0, err: '' })
    // A100: 7.45e17 FLOPs / (312e12 × 0.30) = 132.7 min, × 0.4 kW = 0.885 kWh; L40S 362.05 TFLOPS at 0.5 kW.
    expect(res.out).toBe([
      'POOL       GPU             TIME (RANGE)         ENERGY (RANGE)',
      'gpu-north  A100-SXM4-80GB  2h13m (1h29m–3h41m)  0.885 kWh (0.59–1.47)',
      'gpu-south  L40S            1h54m (1h16m–3h11m)  0.953 kWh (0.636–1.59)',
      'estimated:flops: 4·N·T = 7.45e+17 FLOPs at 30 % MFU (range 18 %–45 %) of each GPU\'s dense datasheet peak; energy × the pool\'s W per GPU (+ host) × PUE',
      ''
    ].join('\n'))
  }, TIMEOUT)

  test('--tokens, --gpus, --pool, --precision and --json reach the API', async () => {
    const res = await run(['estimate', '--params', '7B', '--tokens', '26.624M', '--method', 'full', '--precision', 'fp32', '--gpus', '2', '--pool', 'gpu-south', '--json'])
    expect(res).toMatchObject({ code: 0, err: '' })
    const [south, ...rest] = JSON.parse(res.out).estimates
    expect(rest).toEqual([])
    expect(south).toMatchObject({ pool: 'gpu-south', method: 'estimated:flops', assumptions: { flopsPerParamToken: 6, computeAt: 'fp32', tokens: 26_624_000 } })
    // 6 × 7e9 × 26.624e6 / (2 × 91.6e12 × 0.40) s.
    expect(south.durationMinutes.mid).toBeCloseTo(6 * 7e9 * 26.624e6 / (2 * 91.6e12 * 0.4) / 60, 0)
  }, TIMEOUT)

  test('bad flags are usage errors naming the flag; a server refusal names the field', async () => {
    const usage = async (args: string[], message: RegExp) => {
      const res = await run(args)
      expect(res.code, args.join(' ')).toBe(2)
      expect(res.err).toMatch(message)
    }
    await usage(['estimate', '--samples', '5', '--seq-len', '5', '--method', 'lora'], /^greenshift: --params is required/)
    await usage([...SEED.slice(0, 3), '--method', 'lora'], /--tokens, or --samples with --seq-len/)
    await usage([...SEED.slice(0, 5), '--method', 'lora'], /--tokens, or --samples with --seq-len/)
    await usage([...SEED, '--tokens', '1e6'], /not both/)
    await usage([...SEED.slice(0, 9), '--method', 'dpo'], /--method must be one of full, lora, qlora, inference \(got "dpo"\)/)
    await usage([...SEED, '--precision', 'fp8'], /--precision must be one of/)
    await usage([...SEED.slice(0, 3), '--samples', '1.5', '--seq-len', '512', '--method', 'lora'], /--samples must be a positive whole number/)
    await usage([...SEED, '--gpus', '0'], /--gpus must be a whole number/)
    const refused = await run([...SEED, '--pool', 'nowhere'])
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(/422 .*unknown pool "nowhere".*field pools\[0\], from --pool/)
  }, TIMEOUT)

  test('amounts take exponents and k/M/B/T suffixes', () => {
    expect(amount('--params', '7e9')).toBe(7e9)
    expect(amount('--params', '7B')).toBe(7e9)
    expect(amount('--params', '1.3b')).toBe(1.3e9)
    expect(amount('--samples', '52k', true)).toBe(52_000)
    expect(() => amount('--params', '7X')).toThrow(/--params must be a positive number/)
    expect(() => amount('--params', '-1')).toThrow(/--params/)
  })
})

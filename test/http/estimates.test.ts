import { describe, expect, test } from 'vitest'
import { useTestApp } from '../support/app.js'

// The fixture pools: gpu-north, 8 A100-SXM4-80GB at 400 W; gpu-south, 4 L40S at 500 W; PUE 1.
const t = useTestApp()
const TIMEOUT = 30_000

async function estimate (payload: object, key = t().keys.aRead) {
  return await t().app.inject({ method: 'POST', url: '/v1/estimates', headers: t().auth(key), payload })
}

const WORK = { parameters: 7e9, samples: 52_000, seqLen: 512, epochs: 1, method: 'lora' }

describe('POST /v1/estimates', () => {
  test('estimates the work on every allowed pool, labelled estimated:flops, with a range', async () => {
    const res = await estimate({ work: WORK, gpus: 1 })
    expect(res.statusCode).toBe(200)
    const { estimates } = res.json()
    expect(estimates.map((e: { pool: string }) => e.pool)).toEqual(['gpu-north', 'gpu-south'])
    const [north, south] = estimates
    // 7.45e17 FLOPs / (312e12 × 0.30) = 7,965 s = 132.7 min; × 0.4 kW = 0.885 kWh.
    expect(north).toMatchObject({ gpuModel: 'A100-SXM4-80GB', method: 'estimated:flops', assumptions: { flopsPerParamToken: 4, peakTflopsPerGpu: 312, mfu: 0.3 } })
    expect(north.durationMinutes.mid).toBe(133)
    expect(north.energyKwh.mid).toBeCloseTo(0.885, 3)
    expect(north.durationMinutes.low).toBeLessThan(north.durationMinutes.mid)
    expect(north.durationMinutes.high).toBeGreaterThan(north.durationMinutes.mid)
    // L40S: 362.05 TFLOPS, 500 W.
    expect(south.durationMinutes.mid).toBe(114)
    expect(south.energyKwh.mid).toBeCloseTo(0.5 * 132.7 * 312 / 362.05 / 60, 2)
  }, TIMEOUT)

  test('pools narrows the answer; tokens stand for samples × seqLen; more GPUs than a pool has leave it out', async () => {
    const one = await estimate({ work: { parameters: 7e9, tokens: 26_624_000, method: 'lora' }, gpus: 1, pools: ['gpu-south'] })
    expect(one.json().estimates.map((e: { pool: string }) => e.pool)).toEqual(['gpu-south'])
    const many = await estimate({ work: WORK, gpus: 8 })
    expect(many.json().estimates.map((e: { pool: string }) => e.pool)).toEqual(['gpu-north'])
    expect(many.json().estimates[0].durationMinutes.mid).toBe(16.6)
  }, TIMEOUT)

  test('a pool whose GPU model the table lacks is listed with null figures and a note', async () => {
    const pool = { name: 'mystery', zone: 'NORTH', gpuModel: 'MI300X', gpuCount: 8, wattsPerGpu: 750, pue: 1, executor: { kind: 'agent' } }
    const created = await t().app.inject({ method: 'POST', url: '/v1/pools', headers: t().auth(t().keys.operator), payload: pool })
    expect(created.statusCode).toBe(201)
    const res = await estimate({ work: WORK, gpus: 1, pools: ['mystery', 'gpu-north'] })
    expect(res.statusCode).toBe(200)
    const [mystery, north] = res.json().estimates
    expect(mystery).toMatchObject({ pool: 'mystery', gpuModel: 'MI300X', durationMinutes: null, energyKwh: null, assumptions: null, method: 'estimated:flops' })
    expect(mystery.note).toMatch(/no peak FLOPS known for GPU model "MI300X"; the table knows A100-SXM4-80GB, /)
    expect(north.energyKwh.mid).toBeGreaterThan(0)
  }, TIMEOUT)

  test('bad input is refused naming the field', async () => {
    const cases: Array<[object, number, string]> = [
      [{ work: { ...WORK, method: 'dpo' }, gpus: 1 }, 400, 'work.method'],
      [{ work: { ...WORK, parameters: -1 }, gpus: 1 }, 400, 'work.parameters'],
      [{ work: WORK, gpus: 0 }, 400, 'gpus'],
      [{ work: { ...WORK, tokens: 1000 }, gpus: 1 }, 422, 'work.tokens'],
      [{ work: { parameters: 7e9, method: 'full' }, gpus: 1 }, 422, 'work.tokens'],
      [{ work: { parameters: 7e9, samples: 5, method: 'full' }, gpus: 1 }, 422, 'work.seqLen'],
      [{ work: WORK, gpus: 1, pools: ['nowhere'] }, 422, 'pools[0]'],
      [{ work: WORK, gpus: 9 }, 422, 'gpus']
    ]
    for (const [payload, status, field] of cases) {
      const res = await estimate(payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(status)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(JSON.stringify(res.json().errors), JSON.stringify(payload)).toContain(`"field":"${field}"`)
    }
  }, TIMEOUT)

  test('needs the read scope', async () => {
    expect((await estimate({ work: WORK, gpus: 1 }, t().keys.operator)).statusCode).toBe(403)
    expect((await t().app.inject({ method: 'POST', url: '/v1/estimates', payload: { work: WORK, gpus: 1 } })).statusCode).toBe(401)
  }, TIMEOUT)
})

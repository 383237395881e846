import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { EnergyMeter, listGpus, nvidiaSmiSampler, parseGpuCsv, sumReadings, type PowerSample } from '../../src/agent/power.js'
import { fakeSmiEnv } from './helpers.js'

const empty = mkdtempSync(join(tmpdir(), 'greenshift-nosmi-'))
afterAll(() => rmSync(empty, { recursive: true, force: true }))

const at = (seconds: number, powerW: number | null, energyMj: number | null = null): PowerSample => ({ at: seconds * 1000, powerW, energyMj })

describe('parsing nvidia-smi output', () => {
  test('reads index, draw and energy counter; N/A, Not Supported and junk are no value', () => {
    const text = '0, 251.37, 123456789\r\n\n1, [N/A], [Not Supported]\nWARNING: infoROM is corrupted at gpu 0000:65:00.0\n2, -1, \n  3 ,  70 \n'
    expect(parseGpuCsv(text)).toEqual([
      { index: 0, powerW: 251.37, energyMj: 123456789 },
      { index: 1, powerW: null, energyMj: null },
      { index: 2, powerW: null, energyMj: null },
      { index: 3, powerW: 70, energyMj: null }
    ])
    expect(parseGpuCsv('')).toEqual([])
    expect(parseGpuCsv('No devices were found\n')).toEqual([])
  })

  test('sums exactly the GPUs asked for; a missing GPU is no sample, a missing value is a null total', () => {
    const rows = parseGpuCsv('0, 250.00, 1000\n1, 300.00, 2000\n2, [N/A], 3000\n')
    expect(sumReadings(rows, [0, 1], 7)).toEqual({ at: 7, powerW: 550, energyMj: 3000 })
    expect(sumReadings(rows, [1, 2], 7)).toEqual({ at: 7, powerW: null, energyMj: 5000 })
    expect(sumReadings(rows, [0, 4], 7)).toBeNull()
    expect(sumReadings(rows, [], 7)).toBeNull()
  })
})

describe('EnergyMeter', () => {
  test('2 GPUs × 250 W for 36 s is 0.005 kWh by the trapezoid rule', () => {
    const meter = new EnergyMeter()
    for (const s of [0, 12, 24, 36]) meter.add(at(s, 500))
    // 500 W × 36 s = 18 000 J; 1 kWh = 3.6e6 J.
    expect(meter.kwh()).toBeCloseTo(0.005, 12)
    expect(meter.samples).toBe(4)
    expect(meter.powerW).toBe(500)
  })

  test('a ramp integrates as its average; readings without a draw are bridged', () => {
    const meter = new EnergyMeter()
    meter.add(at(0, 0))
    meter.add(at(10, null))
    meter.add(null)
    meter.add(at(36, 100))
    // Linear 0 → 100 W over 36 s is 1800 J = 0.0005 kWh.
    expect(meter.kwh()).toBeCloseTo(0.0005, 12)
    expect(meter.samples).toBe(2) // the empty reading and the null sample are not measurements
  })

  test('prefers the NVML counter difference, and falls back when a counter is missing or went backwards', () => {
    const counted = new EnergyMeter()
    // The draw readings say 100 W, but the counters saw 18 000 000 mJ (500 W on average) in 36 s: a spiky load.
    counted.add(at(0, 100, 5_000_000))
    counted.add(at(36, 100, 23_000_000))
    expect(counted.kwh()).toBeCloseTo(0.005, 12)

    const partial = new EnergyMeter()
    partial.add(at(0, 100, 5_000_000))
    partial.add(at(36, 100, null))
    expect(partial.kwh()).toBeCloseTo(100 * 36 / 3.6e6, 12)

    const reloaded = new EnergyMeter()
    reloaded.add(at(0, 100, 5_000_000))
    reloaded.add(at(36, 100, 1_000))
    expect(reloaded.kwh()).toBeCloseTo(100 * 36 / 3.6e6, 12)
  })

  test('fewer than two measurements is no energy', () => {
    const meter = new EnergyMeter()
    expect([meter.kwh(), meter.powerW, meter.samples]).toEqual([null, null, 0])
    meter.add(at(0, 500, 1000))
    expect(meter.kwh()).toBeNull()
  })
})

describe('nvidia-smi sampler (the fake in test/fixtures/bin)', () => {
  test('lists the host GPUs and reads the asked ones at the injected instant', async () => {
    const env = fakeSmiEnv()
    expect(await listGpus({ env })).toEqual([0, 1])
    expect(await listGpus({ env: fakeSmiEnv({ FAKE_NVIDIA_SMI_GPUS: '4' }) })).toEqual([0, 1, 2, 3])
    expect(await nvidiaSmiSampler([0, 1], () => 1234, { env }).sample()).toEqual({ at: 1234, powerW: 500, energyMj: null })
    expect(await nvidiaSmiSampler([1], () => 1234, { env }).sample()).toEqual({ at: 1234, powerW: 250, energyMj: null })
    expect(await nvidiaSmiSampler([5], () => 1234, { env }).sample()).toBeNull()
  })

  test('a driver without the energy field still gives the draw', async () => {
    const sampler = nvidiaSmiSampler([0, 1], () => 1, { env: fakeSmiEnv({ FAKE_NVIDIA_SMI_ENERGY: 'unsupported' }) })
    expect(await sampler.sample()).toEqual({ at: 1, powerW: 500, energyMj: null })
    expect(await sampler.sample()).toEqual({ at: 1, powerW: 500, energyMj: null })
  })

  test('no nvidia-smi on PATH is no GPUs and no measurement', async () => {
    const env = { ...process.env, PATH: empty }
    expect(await listGpus({ env })).toEqual([])
    const sampler = nvidiaSmiSampler([0], () => 1, { env })
    expect(await sampler.sample()).toBeNull()
    expect(await sampler.sample()).toBeNull()
    expect(await nvidiaSmiSampler([], () => 1, { env: fakeSmiEnv() }).sample()).toBeNull()
  })
})

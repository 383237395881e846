import { execFile } from 'node:child_process'
import type { Instant } from '../core/types.js'

/** One reading of a job's GPUs, summed over them. */
export interface PowerSample {
  at: Instant
  /** Total draw now, W; null when any of the GPUs gave no reading (a partial sum would under-count). */
  powerW: number | null
  /** Sum of the GPUs' NVML energy counters (mJ since the driver loaded); null when any lacks one. */
  energyMj: number | null
}

/**
 * Reads the job's GPUs. Resolves null for "no measurement" (no nvidia-smi, no such GPU, a failed
 * read): the run then reports null energy and the server estimates it from the pool's power model.
 * Tests implement it with scripted samples and their own clock.
 */
export interface PowerSampler {
  sample: () => Promise<PowerSample | null>
}

/** One GPU's row of `nvidia-smi --query-gpu=index,power.draw[,total_energy_consumption]`. */
export interface GpuReading {
  index: number
  powerW: number | null
  energyMj: number | null
}

/** A value of nvidia-smi's `nounits` CSV: `[N/A]`, `[Not Supported]`, blanks and negatives are no value. */
function reading (text: string | undefined): number | null {
  const value = text?.trim() ?? ''
  if (!/^\d+(?:\.\d+)?$/.test(value)) return null
  return Number(value)
}

/**
 * Rows of `--format=csv,noheader,nounits` output with columns index, power.draw and optionally
 * total_energy_consumption. Lines whose first column is not a GPU index (blank lines, warnings that
 * nvidia-smi mixes into stdout) are skipped rather than failing the whole read.
 */
export function parseGpuCsv (text: string): GpuReading[] {
  const rows: GpuReading[] = []
  for (const line of text.split(/\r?\n/)) {
    const [index, power, energy] = line.split(',')
    if (index === undefined || !/^\s*\d+\s*$/.test(index)) continue
    rows.push({ index: Number(index), powerW: reading(power), energyMj: reading(energy) })
  }
  return rows
}

/** The readings of exactly `gpus` summed into one sample; null when one of them is missing entirely. */
export function sumReadings (rows: readonly GpuReading[], gpus: readonly number[], at: Instant): PowerSample | null {
  const picked = gpus.map(gpu => rows.find(row => row.index === gpu))
  if (picked.length === 0 || picked.some(row => row === undefined)) return null
  const total = (values: Array<number | null>): number | null =>
    values.some(v => v === null) ? null : values.reduce<number>((sum, v) => sum + (v ?? 0), 0)
  return { at, powerW: total(picked.map(row => row?.powerW ?? null)), energyMj: total(picked.map(row => row?.energyMj ?? null)) }
}

/** Where and how to run nvidia-smi; tests point `env.PATH` at a fake one. */
export interface NvidiaSmiOptions {
  bin?: string
  env?: NodeJS.ProcessEnv
  /** A wedged driver can hang nvidia-smi for minutes; 10 s is far above its usual 0.05–0.5 s. */
  timeoutMs?: number
}

type SmiResult = { ok: true, stdout: string } | { ok: false, missing: boolean }

async function runSmi (args: string[], opts: NvidiaSmiOptions): Promise<SmiResult> {
  return await new Promise(resolve => {
    execFile(opts.bin ?? 'nvidia-smi', args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 10_000, windowsHide: true }, (err, stdout) => {
      if (err === null) resolve({ ok: true, stdout })
      else resolve({ ok: false, missing: (err as NodeJS.ErrnoException).code === 'ENOENT' })
    })
  })
}

/** The indices of the host's GPUs as nvidia-smi lists them; empty when there is no nvidia-smi or no GPU. */
export async function listGpus (opts: NvidiaSmiOptions = {}): Promise<number[]> {
  const res = await runSmi(['--query-gpu=index', '--format=csv,noheader,nounits'], opts)
  return res.ok ? parseGpuCsv(res.stdout).map(row => row.index) : []
}

/**
 * Samples `gpus` with nvidia-smi. It first asks for NVML's energy counter as well as the draw; a
 * driver that does not know `total_energy_consumption` fails the whole query, so after such a
 * failure, if the draw alone can be read, it asks for the draw only from then on. A missing binary
 * switches sampling off for good rather than spawning a failing process every few seconds.
 */
export function nvidiaSmiSampler (gpus: readonly number[], now: () => Instant, opts: NvidiaSmiOptions = {}): PowerSampler {
  let mode: 'energy' | 'power' | 'off' = gpus.length === 0 ? 'off' : 'energy'
  const args = (fields: string) => [`--query-gpu=${fields}`, '--format=csv,noheader,nounits', '-i', gpus.join(',')]
  return {
    async sample () {
      if (mode === 'off') return null
      const at = now()
      let res = await runSmi(args(mode === 'energy' ? 'index,power.draw,total_energy_consumption' : 'index,power.draw'), opts)
      if (!res.ok && !res.missing && mode === 'energy') {
        res = await runSmi(args('index,power.draw'), opts)
        if (res.ok) mode = 'power'
      }
      if (!res.ok) {
        if (res.missing) mode = 'off'
        return null
      }
      return sumReadings(parseGpuCsv(res.stdout), gpus, at)
    }
  }
}

const MJ_PER_KWH = 3.6e9
const J_PER_KWH = 3.6e6

/**
 * Energy of one run from its samples. NVML's counter difference is exact whatever the draw did
 * between samples, so it is used when the first and last samples both carry one; otherwise the
 * trapezoid rule over the draw (a sample without a draw is bridged by its neighbours). A counter
 * that went backwards (the driver reloaded) also falls back to the trapezoid.
 */
export class EnergyMeter {
  #samples = 0
  #joules = 0
  #powerSamples = 0
  #previous: { at: Instant, powerW: number } | undefined
  #latestW: number | null = null
  #firstMj: number | null = null
  #lastMj: number | null = null

  /** Adds a sample; null or empty samples are ignored. Samples must come in time order. */
  add (sample: PowerSample | null): void {
    if (sample === null || (sample.powerW === null && sample.energyMj === null)) return
    this.#samples += 1
    if (this.#samples === 1) this.#firstMj = sample.energyMj
    this.#lastMj = sample.energyMj
    this.#latestW = sample.powerW
    if (sample.powerW === null) return
    if (this.#previous !== undefined) {
      this.#joules += (this.#previous.powerW + sample.powerW) / 2 * Math.max(0, sample.at - this.#previous.at) / 1000
    }
    this.#previous = { at: sample.at, powerW: sample.powerW }
    this.#powerSamples += 1
  }

  /** Samples that carried a measurement. */
  get samples (): number { return this.#samples }

  /** The latest total draw, W; null before the first reading or when the latest had none. */
  get powerW (): number | null { return this.#latestW }

  /** Energy between the first and the latest sample, kWh; null with fewer than two measurements. */
  kwh (): number | null {
    if (this.#samples >= 2 && this.#firstMj !== null && this.#lastMj !== null && this.#lastMj >= this.#firstMj) {
      return (this.#lastMj - this.#firstMj) / MJ_PER_KWH
    }
    return this.#powerSamples >= 2 ? this.#joules / J_PER_KWH : null
  }
}

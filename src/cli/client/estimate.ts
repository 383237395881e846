import { parseArgs } from 'node:util'
import { COMMON, endpointOf, integer, parsed, required, UsageError, type ClientIo } from './args.js'
import type { EstimatesBody } from './api-types.js'
import { jsonText, kwhText, table } from './format.js'
import { callJson } from './http.js'
import { formatMinutes } from './time.js'

export const ESTIMATE_USAGE = `usage: greenshift estimate --params N (--tokens T | --samples S --seq-len L) --method M
                          [--epochs E] [--precision P] [--gpus N] [--pool P]... [--json]

A job's duration and energy on each allowed pool from what it computes (POST /v1/estimates),
without planning it: FLOPs (6·N·T full, 4·N·T LoRA/QLoRA, 2·N·T inference) over the pool's GPU
peak × a utilisation (MFU) per method, then × the pool's power and PUE. Each figure has a range.
  --params N            model parameters: 7e9, 7B, 1.3b, 350M
  --tokens T            tokens per epoch (or --samples and --seq-len)
  --samples S           samples per epoch, e.g. 52000 or 52k
  --seq-len L           tokens per sample (the padded length, or the mean with packing)
  --epochs E            passes over the data (default 1)
  --method M            full, lora, qlora or inference (required)
  --precision P         bf16 (default), fp16, fp32, int8 or int4
  --gpus N              GPUs the job runs on (default 1)
  --pool P              allowed pool (repeatable; default every pool)
  --family NAME         the energy history family, as a job's labels.family (default method:parameters)
`

const METHODS = ['full', 'lora', 'qlora', 'inference']
const PRECISIONS = ['bf16', 'fp16', 'fp32', 'int8', 'int4']
const SUFFIX: Record<string, number> = { '': 1, K: 1e3, M: 1e6, B: 1e9, T: 1e12 }

/** The API's fields by the flag that sets them, so a server's 422 names the user's flag. */
const FLAGS: Record<string, string> = { work: '--params, --tokens, --samples, --seq-len, --epochs, --method or --precision', gpus: '--gpus', pools: '--pool', family: '--family' }

/** A positive amount: 7e9, 7B, 52k, 0.5. */
export function amount (flag: string, text: string, whole = false): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmbt]?)$/i.exec(text.trim())
  const n = m === null ? NaN : Number(m[1]) * (SUFFIX[(m[2] ?? '').toUpperCase()] ?? NaN)
  if (!(n > 0) || !Number.isFinite(n) || (whole && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be a positive ${whole ? 'whole ' : ''}number such as 7e9, 7B or 52k (got "${text}")`)
  }
  return n
}

function oneOf (flag: string, text: string | undefined, allowed: readonly string[]): string | undefined {
  if (text !== undefined && !allowed.includes(text)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got "${text}")`)
  return text
}

type Values = Record<string, string | string[] | boolean | undefined>
const str = (v: Values, k: string) => v[k] as string | undefined

/** The body of POST /v1/estimates from the flags. */
export function estimateInput (v: Values): Record<string, unknown> {
  const parameters = amount('--params', required('--params', str(v, 'params'), '7e9'))
  const method = oneOf('--method', required('--method', str(v, 'method'), 'lora'), METHODS)
  const precision = oneOf('--precision', str(v, 'precision'), PRECISIONS)
  const tokens = str(v, 'tokens')
  const samples = str(v, 'samples')
  const seqLen = str(v, 'seq-len')
  if (tokens !== undefined && (samples !== undefined || seqLen !== undefined)) throw new UsageError('give --tokens, or --samples and --seq-len, not both')
  if (tokens === undefined && (samples === undefined || seqLen === undefined)) throw new UsageError('give --tokens, or --samples with --seq-len, e.g. --samples 52000 --seq-len 512')
  const size = tokens !== undefined
    ? { tokens: amount('--tokens', tokens) }
    : { samples: amount('--samples', samples ?? '', true), seqLen: amount('--seq-len', seqLen ?? '', true) }
  const epochs = str(v, 'epochs')
  const work = { parameters, ...size, ...(epochs === undefined ? {} : { epochs: amount('--epochs', epochs) }), method, ...(precision === undefined ? {} : { precision }) }
  const gpus = integer('--gpus', str(v, 'gpus') ?? '1', 1, 100_000)
  const pools = v.pool as string[] | undefined
  const family = str(v, 'family')
  return { work, gpus, ...(pools === undefined ? {} : { pools }), ...(family === undefined ? {} : { family }) }
}

const minutes = (m: number) => formatMinutes(Math.max(1, Math.round(m)))
const kwh = (x: number) => kwhText(x).replace(' kWh', '')

/** The estimates as a table, with the method's assumptions under it. */
export function estimatesText (answer: EstimatesBody): string {
  const rows = answer.estimates.map(e => e.durationMinutes === null || e.energyKwh === null
    ? [e.pool, e.gpuModel, '–', `– (${e.note ?? 'no estimate'})`]
    : [e.pool, e.gpuModel,
        `${minutes(e.durationMinutes.mid)} (${minutes(e.durationMinutes.low)}–${minutes(e.durationMinutes.high)})`,
        `${kwhText(e.energyKwh.mid)} (${kwh(e.energyKwh.low)}–${kwh(e.energyKwh.high)})`])
  const lines = [table([['POOL', 'GPU', 'TIME (RANGE)', 'ENERGY (RANGE)'], ...rows])]
  const a = answer.estimates.find(e => e.method === 'estimated:flops' && e.assumptions !== null)?.assumptions
  if (a !== undefined && a !== null) {
    const pct = (x: number) => `${Math.round(x * 100)} %`
    lines.push(`estimated:flops: ${a.flopsPerParamToken}·N·T = ${a.flops.toPrecision(3)} FLOPs at ${pct(a.mfu)} MFU (range ${pct(a.mfuRange[0] ?? 0)}–${pct(a.mfuRange[1] ?? 0)}) of each GPU's dense datasheet peak; energy × the pool's W per GPU (+ host) × PUE\n`)
  }
  const measured = answer.estimates.filter(e => e.method === 'estimated:history')
  if (measured.length > 0) {
    const runs = measured.map(e => `${e.pool} ${e.runs ?? 0} run${e.runs === 1 ? '' : 's'}`).join(', ')
    lines.push(`estimated:history (${runs}): the median measured kWh and GPU-minutes per token of ${answer.family} on the pool's GPU model × T; range: the runs' spread (±10 % with one run)\n`)
  }
  for (const e of answer.estimates) for (const n of e.assumptions?.notes ?? []) lines.push(`note (${e.pool}): ${n}\n`)
  return lines.join('')
}

/** `greenshift estimate`. */
export async function estimateCommand (args: string[], env: NodeJS.ProcessEnv, io: ClientIo): Promise<number> {
  const options = {
    ...COMMON,
    params: { type: 'string' },
    tokens: { type: 'string' },
    samples: { type: 'string' },
    'seq-len': { type: 'string' },
    epochs: { type: 'string' },
    method: { type: 'string' },
    precision: { type: 'string' },
    gpus: { type: 'string' },
    pool: { type: 'string', multiple: true },
    family: { type: 'string' }
  } as const
  const { values } = parsed('estimate', () => parseArgs({ args, options, strict: true, allowPositionals: false }))
  if (values.help) {
    io.out(ESTIMATE_USAGE)
    return 0
  }
  const body = estimateInput(values)
  const { json } = await callJson<EstimatesBody>(endpointOf(values, env), 'POST', '/v1/estimates', { body, flags: FLAGS })
  io.out(values.json ? jsonText(json) : estimatesText(json))
  return 0
}

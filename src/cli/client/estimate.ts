import { parseArgs } from 'node:util'
import { COMMON, endpointOf, integer, parsed, type ClientIo } from './args.js'
import type { EstimatesBody } from './api-types.js'
import { jsonText, table } from './format.js'
import { durationRange, energyRange } from './format-work.js'
import { callJson } from './http.js'
import { WORK_FLAGS, WORK_OPTIONS, workFlagsHelp, workInput, type WorkValues } from './work-spec.js'

export const ESTIMATE_USAGE = `usage: greenshift estimate --params N (--tokens T | --samples S --seq-len L) --method M
                          [--epochs E] [--precision P] [--gpus N] [--pool P]... [--json]

A job's duration and energy on each allowed pool from what it computes (POST /v1/estimates),
without planning it: FLOPs (6·N·T full, 4·N·T LoRA/QLoRA, 2·N·T inference) over the pool's GPU
peak × a utilisation (MFU) per method, then × the pool's power and PUE. Each figure has a range.
${workFlagsHelp()}
  --gpus N              GPUs the job runs on (default 1)
  --pool P              allowed pool (repeatable; default every pool)
  --family NAME         the energy history family, as a job's labels.family (default method:parameters)
`

/** The API's fields by the flag that sets them, so a server's 422 names the user's flag. */
const FLAGS: Record<string, string> = { ...WORK_FLAGS, gpus: '--gpus', pools: '--pool' }

/** The body of POST /v1/estimates from the flags. */
export function estimateInput (v: WorkValues & { gpus?: string | undefined, pool?: string[] | undefined, family?: string | undefined }): Record<string, unknown> {
  const work = workInput(v)
  const gpus = integer('--gpus', v.gpus ?? '1', 1, 100_000)
  return { work, gpus, ...(v.pool === undefined ? {} : { pools: v.pool }), ...(v.family === undefined ? {} : { family: v.family }) }
}

/** The estimates as a table, with the method's assumptions under it. */
export function estimatesText (answer: EstimatesBody): string {
  const rows = answer.estimates.map(e => e.durationMinutes === null || e.energyKwh === null
    ? [e.pool, e.gpuModel, '–', `– (${e.note ?? 'no estimate'})`]
    : [e.pool, e.gpuModel, durationRange(e.durationMinutes), energyRange(e.energyKwh)])
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
    ...WORK_OPTIONS,
    gpus: { type: 'string' },
    pool: { type: 'string', multiple: true }
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

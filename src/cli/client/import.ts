import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { COMMON, endpointOf, parsed, UsageError, type ClientIo } from './args.js'
import type { HistoryStoredBody } from './api-types.js'
import { parseCsv } from './csv.js'
import { jsonText, kwhText, table } from './format.js'
import { callJson } from './http.js'
import { formatMinutes } from './time.js'
import { WORK_FLAGS, WORK_OPTIONS, workInput } from './work-spec.js'

export const IMPORT_USAGE = `usage: greenshift import codecarbon FILE --params N (--tokens T | --samples S --seq-len L) --method M
                          [--epochs E] [--precision P] [--family NAME] [--json]

Stores the runs of a CodeCarbon emissions.csv as this tenant's energy history (POST
/v1/energy-history): each row one run of the work the flags describe. Later estimates of the same
family (--family, else method and parameters) on the same GPU model scale the measured kWh and time
per token to their own tokens (estimated:history). All rows are stored, or none.
  FILE                  CodeCarbon's emissions.csv; its columns duration, energy_consumed,
                        gpu_energy, cpu_energy, ram_energy and gpu_model are read (gpu_count, pue too)
  --params, --tokens, --samples, --seq-len, --epochs, --method, --precision
                        the work each run did, as for greenshift estimate
  --family NAME         the family to keep the runs under, as a job's labels.family
`

/** The columns read, and whether each is a number. */
const REQUIRED = ['duration', 'energy_consumed', 'gpu_energy', 'cpu_energy', 'ram_energy', 'gpu_model'] as const
const OPTIONAL_NUMBERS = ['gpu_count', 'pue'] as const

/** The rows of a CodeCarbon CSV as the API takes them; a missing column or a bad value is a UsageError naming its row (line) and column. */
export function codeCarbonRows (text: string, file: string): Array<Record<string, number | string>> {
  let records: ReturnType<typeof parseCsv>
  try {
    records = parseCsv(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`)
  }
  const [header, ...rows] = records
  if (header === undefined) throw new UsageError(`${file} is empty: expected CodeCarbon's emissions.csv with a header line`)
  const at = new Map(header.fields.map((name, i) => [name.trim(), i]))
  const missing = REQUIRED.filter(c => !at.has(c))
  if (missing.length > 0) throw new UsageError(`${file} has no column ${missing.join(', ')}: expected CodeCarbon's emissions.csv (columns duration, energy_consumed, gpu_energy, cpu_energy, ram_energy, gpu_model, …)`)
  if (rows.length === 0) throw new UsageError(`${file} has a header but no rows`)
  return rows.map((r, n) => {
    const where = `${file} row ${n + 1} (line ${r.line})`
    const cell = (c: string) => (r.fields[at.get(c) ?? -1] ?? '').trim()
    const number = (c: string) => {
      const v = Number(cell(c))
      if (cell(c) === '' || !Number.isFinite(v)) throw new UsageError(`${where}, column ${c}: "${cell(c)}" is not a number`)
      return v
    }
    if (r.fields.length !== header.fields.length) throw new UsageError(`${where} has ${r.fields.length} fields, the header ${header.fields.length}`)
    const gpuModel = cell('gpu_model')
    if (gpuModel === '') throw new UsageError(`${where}, column gpu_model: empty (a run CodeCarbon saw no GPU in cannot inform GPU estimates)`)
    const row: Record<string, number | string> = { gpu_model: gpuModel }
    for (const c of REQUIRED) if (c !== 'gpu_model') row[c] = number(c)
    for (const c of OPTIONAL_NUMBERS) if (at.has(c) && cell(c) !== '') row[c] = number(c)
    // CodeCarbon's id of the run: the server stores each run once, however often the file is imported.
    if (cell('run_id') !== '') row.run_id = cell('run_id')
    return row
  })
}

/** What was stored, one line per run. */
export function storedText (answer: HistoryStoredBody): string {
  const rows = answer.runs.map((r, i) => [`row ${i + 1}`, `${r.gpus} × ${r.gpuModel}`, kwhText(r.energyKwh), formatMinutes(Math.max(1, Math.round(r.durationMinutes))),
    `${kwhText(r.kwhPerMillionTokens)} per 1M tokens`])
  const tokens = answer.runs[0]?.tokens ?? 0
  const duplicates = answer.duplicates > 0 ? `; ${answer.duplicates} already stored (the same run_id), not counted again` : ''
  return `stored ${answer.stored} run${answer.stored === 1 ? '' : 's'} as energy history of ${answer.family} (T = ${tokens.toPrecision(3)} tokens each)${duplicates}:\n` +
    table([['ROW', 'GPUS', 'ENERGY (IT)', 'TIME', 'PER TOKENS'], ...rows])
}

/** `greenshift import codecarbon FILE`. */
export async function importCommand (args: string[], env: NodeJS.ProcessEnv, io: ClientIo): Promise<number> {
  const options = {
    ...COMMON,
    ...WORK_OPTIONS
  } as const
  const { values, positionals } = parsed('import', () => parseArgs({ args, options, strict: true, allowPositionals: true }))
  if (values.help) {
    io.out(IMPORT_USAGE)
    return 0
  }
  const [format, file, ...extra] = positionals
  if (format !== 'codecarbon') throw new UsageError(`import takes the format first: greenshift import codecarbon FILE (got ${format === undefined ? 'nothing' : `"${format}"`})`)
  if (file === undefined || extra.length > 0) throw new UsageError('give one file: greenshift import codecarbon emissions.csv --params 7e9 …')
  const work = workInput(values)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  const rows = codeCarbonRows(text, file)
  const body = { work, rows, ...(values.family === undefined ? {} : { family: values.family }) }
  // The server counts rows from 0; the file's rows are named as this command names them, from 1.
  const flags = { ...WORK_FLAGS, ...Object.fromEntries(rows.map((_, i) => [`rows[${i}]`, `${file} row ${i + 1}`])) }
  const { json } = await callJson<HistoryStoredBody>(endpointOf(values, env), 'POST', '/v1/energy-history', { body, flags })
  io.out(values.json ? jsonText(json) : storedText(json))
  return 0
}

import { parseArgs } from 'node:util'
import { JOB_STATES } from '../../core/types.js'
import { COMMON, endpointOf, integer, parsed, UsageError, type ClientIo } from './args.js'
import type { JobBody, JobDetailBody, JobPageBody } from './api-types.js'
import { jsonText, kgOrDash, table } from './format.js'
import { jobText } from './format-job.js'
import { callJson } from './http.js'
import { utc } from './time.js'

export const JOBS_USAGE = `usage: greenshift jobs [--state S] [--limit N] [--json]
       greenshift job ID [--json]
       greenshift cancel ID [--json]

jobs: this tenant's jobs, newest first (--state pending, planned, dispatched, running, succeeded,
failed or cancelled; --limit 1–200, default 50). job: one job's plan, runs, ledger and events.
cancel: cancels a job that has not finished; its reserved GPUs are released.
`

function help (values: { help: boolean }, io: ClientIo): boolean {
  if (values.help) io.out(JOBS_USAGE)
  return values.help
}

/** `greenshift jobs`: a table of id, name, state, pool, start and expected emissions. */
export async function jobsCommand (args: string[], env: NodeJS.ProcessEnv, io: ClientIo): Promise<number> {
  const { values } = parsed('jobs', () => parseArgs({ args, options: { ...COMMON, state: { type: 'string' }, limit: { type: 'string' } }, strict: true, allowPositionals: false }))
  if (help(values, io)) return 0
  if (values.state !== undefined && !(JOB_STATES as readonly string[]).includes(values.state)) throw new UsageError(`--state must be one of ${JOB_STATES.join(', ')} (got "${values.state}")`)
  const limit = values.limit === undefined ? undefined : integer('--limit', values.limit, 1, 200)
  const { json } = await callJson<JobPageBody>(endpointOf(values, env), 'GET', '/v1/jobs', { query: { state: values.state, limit }, flags: { state: '--state', limit: '--limit' } })
  if (values.json) {
    io.out(jsonText(json))
    return 0
  }
  if (json.jobs.length === 0) {
    io.out(values.state === undefined ? 'no jobs\n' : `no ${values.state} jobs\n`)
    return 0
  }
  io.out(table([
    ['ID', 'NAME', 'STATE', 'POOL', 'START', 'EXPECTED'],
    ...json.jobs.map(j => [j.id, j.name, j.state, j.plan?.pool ?? '–', j.plan?.segments[0] === undefined ? '–' : utc(j.plan.segments[0].start), kgOrDash(j.plan?.expected.grams ?? null)])
  ]))
  if (json.nextCursor !== null) io.out(`(more: raise --limit, or page with GET /v1/jobs?cursor=${json.nextCursor})\n`)
  return 0
}

/** The one positional ID of `job` and `cancel`. */
function jobId (command: string, positionals: string[]): string {
  const [id, ...extra] = positionals
  if (id === undefined || id === '') throw new UsageError(`${command}: the job's ID is required (greenshift ${command} ID; greenshift jobs lists them)`)
  if (extra.length > 0) throw new UsageError(`${command}: one job ID at a time (got also "${extra[0]}")`)
  return id
}

/** `greenshift job ID`: plan, runs, ledger and a timeline of events. */
export async function jobCommand (args: string[], env: NodeJS.ProcessEnv, io: ClientIo): Promise<number> {
  const { values, positionals } = parsed('job', () => parseArgs({ args, options: COMMON, strict: true, allowPositionals: true }))
  if (help(values, io)) return 0
  const id = jobId('job', positionals)
  const { json } = await callJson<JobDetailBody>(endpointOf(values, env), 'GET', `/v1/jobs/${encodeURIComponent(id)}`, { flags: { id: 'ID' } })
  io.out(values.json ? jsonText(json) : jobText(json))
  return 0
}

/** `greenshift cancel ID`. */
export async function cancelCommand (args: string[], env: NodeJS.ProcessEnv, io: ClientIo): Promise<number> {
  const { values, positionals } = parsed('cancel', () => parseArgs({ args, options: COMMON, strict: true, allowPositionals: true }))
  if (help(values, io)) return 0
  const id = jobId('cancel', positionals)
  const { json } = await callJson<JobBody>(endpointOf(values, env), 'POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`, { flags: { id: 'ID' } })
  io.out(values.json ? jsonText(json) : `job ${json.id} ${json.state}: ${json.name}\n`)
  return 0
}

import { parseArgs } from 'node:util'
import { call } from '../chaos/http.js'
import { cleanUpOnExit } from '../chaos/processes.js'
import { drive, jobBody, othersText, type LoadResult } from './intake-load.js'
import { pgbenchInsert } from './intake-pgbench.js'
import { openTarget, prefill } from './intake-prefill.js'
import { markdown, ratioOf, type DepthResult, type IntakeReport } from './intake-report.js'
import {
  ADMIN_KEY, DEFAULT_DATABASE_URL, pgliteTarget, progress, scratchDatabase, startService, stopService, workDir, writeBenchConfig,
  type Service, type ServiceOptions
} from './intake-service.js'

/**
 * `npm run bench:intake` — how fast POST /v1/jobs accepts work, against PostgreSQL's own insert rate.
 *
 *   npm run bench:intake [-- --depths 0,10000,100000 --seconds 15 --clients 16 --quote-seconds 5
 *                           --pglite --json --dist --cpu-prof DIR]
 *
 * A real `greenshift serve` (scheduler off, rate limit off) on a scratch database
 * `greenshift_bench_<random>` of the server at DATABASE_URL (default the local one), dropped at
 * exit; or, with --pglite, on an embedded database in a temp directory. For each queue depth the
 * service is stopped, the queue pre-filled with that many planned jobs (multi-row INSERTs), the
 * service started again, warmed up for 1 s, and driven by keep-alive clients; then POST /v1/quotes
 * with as many clients and with one; then (PostgreSQL) pgbench's single-row INSERT of a job-wide
 * row at the same concurrency on the same server. Progress goes to stderr, the tables (or --json)
 * to stdout. --dist runs the built service (`npm run build` first); --cpu-prof writes the
 * service's CPU profiles into DIR.
 */
const { values } = parseArgs({
  options: {
    depths: { type: 'string', default: '0,10000,100000' },
    seconds: { type: 'string', default: '15' },
    clients: { type: 'string', default: '16' },
    'quote-seconds': { type: 'string', default: '5' },
    pglite: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    dist: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' }
  }
})

function whole (name: string, text: string, min: number): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got ${text}`)
  return n
}
const depths = values.depths.split(',').map(s => whole('depths', s.trim(), 0))
const seconds = whole('seconds', values.seconds, 1)
const clients = whole('clients', values.clients, 1)
const quoteSeconds = whole('quote-seconds', values['quote-seconds'], 1)

cleanUpOnExit()
const dir = workDir('greenshift-bench-intake-')
const serverUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL
const target = values.pglite ? pgliteTarget(dir) : await scratchDatabase(serverUrl)
progress(`intake: ${target.kind === 'postgres' ? `scratch database ${new URL(target.url).pathname.slice(1)} on ${new URL(serverUrl).host}` : 'embedded PGlite'}, work in ${dir}`)
const options: ServiceOptions = {
  target, dir, configPath: writeBenchConfig(dir), dist: values.dist, scheduler: false,
  nodeFlags: values['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`]
}

const load = async (service: Service, path: string, expect: number, n: number, s: number): Promise<LoadResult> =>
  await drive({ url: service.url, path, expect, clients: n, seconds: s, body: () => jobBody(Date.now(), path.endsWith('jobs') ? 'bench' : 'quote') })

/** One submission must be planned at once (201, state planned): a job left pending would measure less than intake. */
async function checkPlanned (service: Service): Promise<void> {
  const a = await call(`${service.url}/v1/jobs`, { method: 'POST', body: JSON.parse(jobBody(Date.now(), 'check')), headers: { authorization: `Bearer ${ADMIN_KEY}` }, timeoutMs: 60_000 })
  const state = a.ok ? (a.body as { state?: unknown }).state : undefined
  if (!a.ok || a.status !== 201 || state !== 'planned') throw new Error(`a submission was not planned at once: ${JSON.stringify(a).slice(0, 500)}`)
}

/** Prefills `depth` jobs with the service stopped, starts it, warms it up and measures jobs, quotes and pgbench. */
async function measureDepth (depth: number): Promise<DepthResult> {
  const store = await openTarget(target)
  const prefillSeconds = await prefill(store, depth, Date.now()).finally(async () => { await store.close() })
  progress(`intake: depth ${depth}: prefilled in ${prefillSeconds.toFixed(1)} s; starting the service`)
  const service = await startService(options)
  try {
    await checkPlanned(service)
    const warm = await load(service, '/v1/jobs', 201, clients, 1)
    if (warm.ok === 0) throw new Error(`no job was accepted in the warm-up second: ${othersText(warm.others)} (see ${dir}/service.log)`)
    const jobs = await load(service, '/v1/jobs', 201, clients, seconds)
    progress(`intake: depth ${depth}: ${jobs.perSecond.toFixed(1)} jobs/s, p50 ${jobs.p50Ms.toFixed(1)} ms, p99 ${jobs.p99Ms.toFixed(1)} ms, other answers: ${othersText(jobs.others)}`)
    const quotes = [await load(service, '/v1/quotes', 200, clients, quoteSeconds), await load(service, '/v1/quotes', 200, 1, quoteSeconds)]
    for (const q of quotes) progress(`intake: depth ${depth}: quotes, ${q.clients} client(s): ${q.perSecond.toFixed(1)}/s, p50 ${q.p50Ms.toFixed(1)} ms, p99 ${q.p99Ms.toFixed(1)} ms`)
    const pgbench = target.kind === 'postgres' ? await pgbenchInsert(target.url, dir, clients, seconds) : undefined
    const result = { depth, prefillSeconds, jobs, quotes, pgbench }
    if (pgbench !== undefined) progress(`intake: depth ${depth}: pgbench ${pgbench.tps.toFixed(0)} tps, ratio ${(100 * (ratioOf(result) ?? 0)).toFixed(1)} %`)
    return result
  } finally {
    await stopService(service)
  }
}

const started = Date.now()
// The first start migrates, seeds the pools and creates the admin key the prefill needs.
progress('intake: first start (migrations, pools, admin key)')
await stopService(await startService(options))
const report: IntakeReport = { database: target.kind, startedAt: new Date(started).toISOString(), clients, seconds, depths: [] }
for (const depth of depths) report.depths.push(await measureDepth(depth))
process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : markdown(report))
progress(`intake: done in ${((Date.now() - started) / 1000).toFixed(0)} s`)
process.exit(0)

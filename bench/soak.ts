import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { cleanUpOnExit } from '../chaos/processes.js'
import { Pool } from 'undici'
import { drive, jobBody } from './intake-load.js'
import { ADMIN_KEY, DEFAULT_DATABASE_URL, pgliteTarget, progress, scratchDatabase, startService, stopService, workDir, writeBenchConfig } from './intake-service.js'

/**
 * `npm run bench:soak [-- --minutes 10 --rate 100 --clients 4 --keep 60 --pglite --dist --json]` — whether the
 * service's memory stays flat under steady submissions with the scheduler ticking (every 5 s).
 *
 * The service runs on a scratch PostgreSQL database (or PGlite) with `--trace-gc`; `clients`
 * keep-alive clients submit at `rate` jobs/s in all (a client that falls behind sends as fast as it
 * is answered). Every 10 s the service's RSS (VmRSS of /proc/<pid>/status) and its V8 heap after the
 * newest garbage collection (from the --trace-gc lines in its log: greenshift's /metrics has no
 * process metrics) are sampled, with the jobs accepted in those 10 s. The verdict: the last minute's
 * mean is within 10 % of the second minute's (the first is start-up), for RSS and heap alike.
 */
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '100' },
    clients: { type: 'string', default: '4' },
    keep: { type: 'string', default: '60' },
    pglite: { type: 'boolean', default: false },
    dist: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }
  }
})
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const clients = Number(values.clients)
const keepSeconds = Number(values.keep)
if (!Number.isInteger(minutes) || minutes < 3) throw new Error(`--minutes must be a whole number ≥ 3 (minute 2 against the last), got ${values.minutes}`)
if (!(rate > 0) || !Number.isInteger(clients) || clients < 1) throw new Error('--rate must be > 0 and --clients a whole number ≥ 1')

const SAMPLE_MS = 10_000
/**
 * "… 1234 ms: Mark-Compact 40.1 (60.2) -> 35.0 (58.1) MB, …": the heap used after a full collection,
 * MB. Scavenges collect only the young generation, so the heap after one still holds every dead
 * old object since the last full collection: a saw, not a level.
 */
const GC_LINE = /\d+ ms: (?:Mark-Compact|Mark-sweep)[^\n]*?[\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/g

/** One 10-second sample. */
interface Sample { second: number, rssMb: number, heapMb: number | undefined, accepted: number, otherAnswers: number }

function rssMb (pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb) / 1024
}

/** The heap after the newest collection logged since `offset`; undefined when none ran. */
function newestHeapMb (logPath: string, offset: number): { heapMb: number | undefined, offset: number } {
  const text = readFileSync(logPath).subarray(offset)
  let heapMb: number | undefined
  for (const m of text.toString('utf8').matchAll(GC_LINE)) heapMb = Number(m[1])
  return { heapMb, offset: offset + text.length }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

/** Minute 2 (samples 60–120 s) against the last minute, for one series. */
function flat (samples: Sample[], pick: (s: Sample) => number | undefined): { second: number, last: number, change: number, ok: boolean, lows: [number, number] } {
  const end = Math.max(...samples.map(s => s.second))
  const values = (from: number, to: number) => samples.filter(s => s.second > from && s.second <= to).map(pick).filter((x): x is number => x !== undefined)
  const second = mean(values(60, 120))
  const last = mean(values(end - 60, end))
  const change = (last - second) / second
  // The lowest sample of each minute too: RSS swings with transient allocations, its floor does not.
  return { second, last, change, ok: Math.abs(change) <= 0.1, lows: [Math.min(...values(60, 120)), Math.min(...values(end - 60, end))] }
}

cleanUpOnExit()
const dir = workDir('greenshift-bench-soak-')
const target = values.pglite ? pgliteTarget(dir) : await scratchDatabase(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL)
const service = await startService({ target, dir, configPath: writeBenchConfig(dir), dist: values.dist, scheduler: true, nodeFlags: ['--trace-gc'] })
progress(`soak: ${target.kind}, ${clients} clients at ${rate} jobs/s for ${minutes} min, service pid ${service.proc.pid}`)

const samples: Sample[] = []
let window = { accepted: 0, other: 0 }
let logOffset = service.proc.logOffset
let lastHeap: number | undefined
const started = performance.now()
const timer = setInterval(() => {
  const heap = newestHeapMb(service.proc.logPath, logOffset)
  logOffset = heap.offset
  lastHeap = heap.heapMb ?? lastHeap
  const sample = { second: Math.round((performance.now() - started) / 1000), rssMb: rssMb(service.proc.pid), heapMb: lastHeap, accepted: window.accepted, otherAnswers: window.other }
  window = { accepted: 0, other: 0 }
  samples.push(sample)
  progress(`soak: ${sample.second} s: RSS ${sample.rssMb.toFixed(1)} MB, heap ${sample.heapMb?.toFixed(1) ?? '?'} MB, ${sample.accepted} jobs accepted in 10 s${sample.otherAnswers > 0 ? `, ${sample.otherAnswers} other answers` : ''}`)
}, SAMPLE_MS)
// Jobs are cancelled `keep` seconds after they were accepted, as if they had run: the queue levels
// off at about rate × keep jobs, so a flat memory means no leak rather than no growth yet.
const accepted: Array<{ id: string, at: number }> = []
const cancels = new Pool(service.url, { connections: 2 })
let cancelled = 0
const canceller = setInterval(() => {
  const due = performance.now() - keepSeconds * 1000
  while (accepted.length > 0 && accepted[0]!.at <= due) {
    const { id } = accepted.shift()!
    void cancels.request({ path: `/v1/jobs/${id}/cancel`, method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } })
      .then(async res => { await res.body.dump(); if (res.statusCode === 200) cancelled++ }, () => undefined)
  }
}, 1_000)
const load = await drive({
  url: service.url, path: '/v1/jobs', expect: 201, clients, seconds: minutes * 60, perClientRate: rate / clients,
  body: () => jobBody(Date.now(), 'soak'),
  onAnswer: status => { if (status === 201) window.accepted++; else window.other++ },
  onBody: body => { accepted.push({ id: (body as { id: string }).id, at: performance.now() }) }
})
clearInterval(timer)
clearInterval(canceller)
await cancels.close()
await stopService(service)

const rss = flat(samples, s => s.rssMb)
const heap = flat(samples, s => s.heapMb)
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`
if (values.json) {
  process.stdout.write(JSON.stringify({ database: target.kind, minutes, rate, clients, load, samples, rss, heap }, null, 2) + '\n')
} else {
  const lines = ['| second | RSS MB | heap MB | jobs accepted in 10 s |', '|---|---|---|---|',
    ...samples.map(s => `| ${s.second} | ${s.rssMb.toFixed(1)} | ${s.heapMb?.toFixed(1) ?? '?'} | ${s.accepted} |`), '',
    `${load.ok} jobs accepted (${load.perSecond.toFixed(1)} jobs/s of ${rate} asked), p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms; ${cancelled} cancelled ${keepSeconds} s after acceptance`,
    `RSS: minute 2 ${rss.second.toFixed(1)} MB, last minute ${rss.last.toFixed(1)} MB (${pct(rss.change)}): ${rss.ok ? 'flat' : 'NOT flat'}; lowest sample ${rss.lows[0].toFixed(1)} and ${rss.lows[1].toFixed(1)} MB`,
    `heap: minute 2 ${heap.second.toFixed(1)} MB, last minute ${heap.last.toFixed(1)} MB (${pct(heap.change)}): ${heap.ok ? 'flat' : 'NOT flat'}`]
  process.stdout.write(lines.join('\n') + '\n')
}
process.exit(rss.ok && heap.ok ? 0 : 1)

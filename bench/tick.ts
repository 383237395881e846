import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { cleanUpOnExit } from '../chaos/processes.js'
import { buildProviders, loadConfig } from '../src/config.js'
import { MINUTE_MS, type Instant } from '../src/core/types.js'
import { ensureAdminKey, prepareStore } from '../src/main.js'
import type { Deps } from '../src/scheduler/deps.js'
import { holderId } from '../src/scheduler/loop.js'
import { tick, type TickResult } from '../src/scheduler/tick.js'
import { prefill } from './intake-prefill.js'
import { ADMIN_KEY, DEFAULT_DATABASE_URL, progress, scratchDatabase, workDir, writeBenchConfig, type Target } from './intake-service.js'

/**
 * `npm run bench:tick [-- --jobs 20000 --only pglite|postgres --json]` — one scheduler pass with
 * `jobs` planned jobs waiting when one zone's forecast is refreshed, so every waiting job is
 * re-planned. In process, on PGlite (a temp directory) and on a scratch database of DATABASE_URL.
 *
 * The benchmark's config (the built-in zones and pools, GPUs ×1,000) with DE as a chain refreshed
 * every 10 min, the other zones every 30. A first tick at T fetches every zone; the queue is
 * pre-filled (planned jobs over four weeks, see intake-prefill.ts); the tick at T + 11 min refreshes
 * DE alone and re-plans: the pre-filled plans are not the planner's, so most jobs move (the
 * settling pass, a worst case of many writes); the tick at T + 22 min refreshes DE again and
 * re-plans jobs that are already well placed (the steady pass, measured against the 2 s target);
 * a tick at T + 23 min, with nothing refreshed, is the pass without re-planning, for comparison.
 * The clock is passed in. `--profile DIR` writes each tick's CPU profile there (profiling slows the ticks).
 */
const { values } = parseArgs({
  options: { jobs: { type: 'string', default: '20000' }, only: { type: 'string' }, json: { type: 'boolean', default: false }, profile: { type: 'string' } }
})
const jobs = Number(values.jobs)
if (!Number.isInteger(jobs) || jobs < 0) throw new Error(`--jobs must be a whole number, got ${values.jobs}`)
if (values.only !== undefined && values.only !== 'pglite' && values.only !== 'postgres') throw new Error('--only is pglite or postgres')

const TARGET_MS = 2_000
/** What the loop would use with the default 5 s tick: max(3 ticks, 60 s). */
const LEASE_MS = 60_000

/** One measured pass. */
interface Pass { at: string, ms: number, refreshedZones: number, replanned: number, dispatched: number, errors: string[] }

/** With `--profile DIR`, each measured tick's CPU profile is written to DIR/<database>-<name>.cpuprofile (open in Chrome DevTools). */
async function profiled<T> (name: string, run: () => Promise<T>): Promise<T> {
  if (values.profile === undefined) return await run()
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  try {
    return await run()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(join(values.profile, `${name}.cpuprofile`), JSON.stringify(profile))
    session.disconnect()
  }
}

async function timedTick (deps: Deps, holder: string, now: Instant, name: string): Promise<Pass> {
  const t0 = performance.now()
  const r: TickResult = await profiled(name, async () => await tick(deps, holder, now, LEASE_MS))
  if (!r.leader) throw new Error('the tick did not get the lease')
  return { at: new Date(now).toISOString(), ms: performance.now() - t0, refreshedZones: r.refreshedZones, replanned: r.replanned, dispatched: r.dispatched, errors: r.errors }
}

async function measure (target: Target, dir: string): Promise<{ database: string, prefillSeconds: number, first: Pass, settle: Pass, replan: Pass, plain: Pass }> {
  const de = { providers: [{ provider: 'replay', dataset: 'zones-2022', region: 'DE' }], refreshMinutes: 10 }
  const configPath = writeBenchConfig(dir, { DE: de })
  const config = loadConfig(target.kind === 'postgres' ? { GREENSHIFT_CONFIG: configPath, DATABASE_URL: target.url } : { GREENSHIFT_CONFIG: configPath, GREENSHIFT_DATA_DIR: target.dataDir })
  const log = pino({ level: 'warn' })
  const providers = buildProviders(config)
  const T = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS
  const store = await prepareStore(config, log, new Date(T), 'bench tick', providers)
  try {
    await ensureAdminKey(store, ADMIN_KEY, () => {})
    const deps: Deps = { store, config, providers, zoneStatus: new Map(), log }
    const holder = holderId()
    const first = await timedTick(deps, holder, T, `${target.kind}-first`)
    progress(`tick: ${target.kind}: first tick (every zone fetched) ${first.ms.toFixed(0)} ms; pre-filling ${jobs} planned jobs`)
    const prefillSeconds = await prefill(store, jobs, T)
    const settle = await timedTick(deps, holder, T + 11 * MINUTE_MS, `${target.kind}-settle`)
    progress(`tick: ${target.kind}: settling: ${settle.refreshedZones} zone refreshed, ${settle.replanned} jobs moved: ${settle.ms.toFixed(0)} ms`)
    const replan = await timedTick(deps, holder, T + 22 * MINUTE_MS, `${target.kind}-steady`)
    progress(`tick: ${target.kind}: steady: ${replan.refreshedZones} zone refreshed, ${replan.replanned} jobs moved: ${replan.ms.toFixed(0)} ms`)
    const plain = await timedTick(deps, holder, T + 23 * MINUTE_MS, `${target.kind}-plain`)
    progress(`tick: ${target.kind}: nothing refreshed: ${plain.ms.toFixed(0)} ms`)
    return { database: target.kind, prefillSeconds, first, settle, replan, plain }
  } finally {
    await store.close()
  }
}

cleanUpOnExit()
const results = []
for (const kind of ['pglite', 'postgres'] as const) {
  if (values.only !== undefined && values.only !== kind) continue
  const dir = workDir(`greenshift-bench-tick-${kind}-`)
  const target: Target = kind === 'pglite' ? { kind, dataDir: join(dir, 'pglite') } : await scratchDatabase(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL)
  results.push(await measure(target, dir))
}
const s = (p: Pass) => `${(p.ms / 1000).toFixed(2)} s`
if (values.json) {
  process.stdout.write(JSON.stringify({ jobs, targetMs: TARGET_MS, results }, null, 2) + '\n')
} else {
  const lines = [`Scheduler tick with ${jobs.toLocaleString('en-US')} planned jobs waiting (target ≤ ${TARGET_MS / 1000} s for the re-plan):`, '',
    '| database | steady re-plan tick (1 zone refreshed) | jobs moved | settling re-plan tick | jobs moved | tick without re-plan | target |', '|---|---|---|---|---|---|---|',
    ...results.map(r => `| ${r.database} | ${s(r.replan)} | ${r.replan.replanned} | ${s(r.settle)} | ${r.settle.replanned} | ${s(r.plain)} | ${r.replan.ms <= TARGET_MS ? 'met' : 'missed'} |`)]
  for (const r of results) for (const e of [...r.settle.errors, ...r.replan.errors, ...r.plain.errors]) lines.push(`${r.database}: error: ${e}`)
  process.stdout.write(lines.join('\n') + '\n')
}
process.exit(0)

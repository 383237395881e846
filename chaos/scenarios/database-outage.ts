import { setTimeout as delay } from 'node:timers/promises'
import { call, labelOf } from '../http.js'
import { startLoad, type Sample } from '../load.js'
import { histogram, showHistogram } from '../report.js'
import { GB_REPLAY, jobOutcome, settle, shortJob, withTestbed, type Context, type Outcome, type Scenario } from '../scenario.js'
import { webhookPool, type Testbed } from '../testbed.js'
import type { Verdict } from '../verdict.js'

/**
 * From a fault to the database accepting connections again; `restarting` is when the start was
 * called (the database may answer before `pg_ctl start -w` returns).
 */
interface Outage { fault: string, start: number, restarting: number, back: number }

/** One /readyz answer: sent at `at`, answered at `done`. */
interface Probe { at: number, done: number, label: string }

const LOAD_FIRST_MS = 15_000
const BETWEEN_MS = 20_000
/** How long the postmaster stays dead after kill -9: several ticks and many requests. */
const DOWN_MS = 10_000
const AFTER_MS = 20_000
/** After the database is back, the first job should be accepted within this long. */
const RECOVER_LIMIT_MS = 30_000

/** /readyz of every instance every 500 ms until stopped. */
function probeReadiness (bed: Testbed): { samples: Probe[], stop: () => Promise<void> } {
  const samples: Probe[] = []
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(bed.instances.map(async i => {
        const at = Date.now()
        const label = labelOf(await call(`${i.url}/readyz`, { timeoutMs: 5_000 }))
        samples.push({ at, done: Date.now(), label })
      }))
      await delay(500)
    }
  })()
  return { samples, stop: async () => { stopped = true; await loop } }
}

const during = <T extends { at: number }>(xs: readonly T[], outages: readonly Outage[]) => xs.filter(x => outages.some(o => x.at >= o.start && x.at < o.back))

/** Database back → the first 201 received (of a request sent after the fault), ms; Infinity when none came. */
function recoverMs (samples: readonly Sample[], o: Outage): number {
  const firsts = samples.filter(s => s.label === '201' && s.at >= o.start).map(s => s.at + s.ms)
  return firsts.length === 0 ? Infinity : Math.max(0, Math.min(...firsts) - o.back)
}

/** 15 s of load, a fast restart, 20 s, kill -9 of the postmaster and 10 s down, a start, 20 s more. */
async function injectFaults (ctx: Context): Promise<[Outage, Outage]> {
  await delay(LOAD_FIRST_MS)
  const restart: Outage = { fault: 'pg_ctl restart -m fast', start: Date.now(), restarting: Date.now(), back: 0 }
  await ctx.pg.restartFast()
  restart.back = Date.now()
  await delay(BETWEEN_MS)
  const kill: Outage = { fault: 'kill -9 of the postmaster', start: Date.now(), restarting: 0, back: 0 }
  await ctx.pg.killPostmaster()
  await delay(DOWN_MS)
  kill.restarting = Date.now()
  await ctx.pg.start()
  kill.back = Date.now()
  await delay(AFTER_MS)
  return [restart, kill]
}

/** The figures and goals of the scenario from what the load, the readiness probe and the jobs showed. */
function outcome (bed: Testbed, verdict: Verdict, samples: readonly Sample[], readiness: readonly Probe[], outages: readonly [Outage, Outage]): Outcome {
  const [, kill] = outages
  const errors = samples.filter(s => s.label !== '201')
  const bad = errors.filter(s => s.label !== '503' || s.retryAfter === null || !s.problem)
  // Probes wholly inside the outage: sent after the kill took effect, answered before the start began.
  const downReadiness = readiness.filter(s => s.at >= kill.start + 500 && s.done < kill.restarting)
  const recovered = outages.map(o => recoverMs(samples, o))
  return jobOutcome(bed, verdict, [
    ...outages.map((o): [string, string] => [o.fault, `database down ${((o.back - o.start) / 1000).toFixed(1)} s`]),
    ['answers after the outages', showHistogram(histogram(samples.filter(s => s.at >= kill.back)))],
    ['readyz while the postmaster was dead', showHistogram(histogram(downReadiness))]
  ], [
    { name: 'error answers are 503 problem+json with Retry-After', ok: bad.length === 0, detail: bad.length === 0 ? `${errors.length} errors, all 503` : showHistogram(histogram(bad)) },
    { name: 'readyz 503 while the database is down', ok: downReadiness.length > 0 && downReadiness.every(s => s.label === '503'), detail: showHistogram(histogram(downReadiness)) },
    { name: `recovers within ${RECOVER_LIMIT_MS / 1000} s`, ok: recovered.every(ms => ms <= RECOVER_LIMIT_MS), detail: recovered.map(ms => Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'never').join(', ') }
  ], {
    outage: histogram(during(samples, outages)),
    recoverMs: recovered,
    evidence: bad.slice(0, 10).map(s => `  ${new Date(s.at).toISOString()} ${s.instance}: ${s.label} after ${s.ms} ms`)
  })
}

async function run (ctx: Context): Promise<Outcome> {
  return await withTestbed(ctx, 'database-outage', {
    zones: GB_REPLAY,
    pools: url => [webhookPool('hook-gb', 'GB', url)],
    tickMs: 500,
    leaseSeconds: 5,
    restartCrashed: true
  }, 2, async bed => {
    const load = startLoad(bed, { prefix: 'outage', workers: 2, paceMs: 400, count: 10_000, job: () => shortJob('hook-gb', 3) })
    const readiness = probeReadiness(bed)
    const outages = await injectFaults(ctx)
    await readiness.stop()
    const verdict = await settle(bed, [load], 240_000)
    return outcome(bed, verdict, load.samples, readiness.samples, outages)
  })
}

export const databaseOutage: Scenario = {
  name: 'database-outage',
  title: `two instances under a submission load while PostgreSQL restarts (-m fast) and its postmaster is killed (-9) for ${DOWN_MS / 1000} s`,
  run
}

import { setTimeout as delay } from 'node:timers/promises'
import { startLoad, type Load } from '../load.js'
import { startProviderServer, type ProviderMode } from '../provider-server.js'
import { firstPlanOn, startQuotes, type QuoteSample } from '../quotes.js'
import { standardEvidence, standardGoals, type Goal } from '../report.js'
import { settle, shortJob, testbedFor, type Context, type Outcome, type Scenario } from '../scenario.js'
import { webhookPool, type Testbed } from '../testbed.js'

/** A zone whose first provider is the fake UK API in one mode, then a replay of GB 2022. */
export interface FaultZone { zone: string, pool: string, key: string, mode: ProviderMode }

/** The longest a quote or a submission may take: the request path waits for a provider only briefly. */
export const ANSWER_LIMIT_MS = 10_000
/** A zone whose first provider fails plans on the next one within this long. */
export const FALLBACK_LIMIT_MS = 60_000

const ZONES: FaultZone[] = [
  { zone: 'GB-HANG', pool: 'hook-hang', key: 'hang', mode: 'hang' },
  { zone: 'GB-500', pool: 'hook-500', key: 'error', mode: 'error' },
  { zone: 'GB-GARBAGE', pool: 'hook-garbage', key: 'garbage', mode: 'garbage' }
]
const OBSERVE_MS = 75_000

/** The chain of `z`: the fake at `baseUrl/<key>`, then replay. */
export const chainOf = (baseUrl: string, z: FaultZone) => ({
  providers: [{ provider: 'carbonintensity-uk', region: 'national', baseUrl: `${baseUrl}/${z.key}` }, { provider: 'replay', dataset: 'zones-2022', region: 'GB' }],
  refreshMinutes: 30
})

/** One submission load per zone: a job every 6 s, due in 3 minutes. */
export function zoneLoads (bed: Testbed, zones: readonly FaultZone[], count: number): Load[] {
  return zones.map(z => startLoad(bed, { prefix: z.key, workers: 1, paceMs: 6_000, count, job: () => shortJob(z.pool, 3) }))
}

/** Goals on answers: none took longer than the limit, none was a 500 or a failure to answer. */
export function answerGoals (quotes: readonly QuoteSample[], loads: readonly Load[]): Goal[] {
  const answers = [...quotes.map(q => ({ what: `quote ${q.zone}`, ms: q.ms, label: q.label })), ...loads.flatMap(l => l.samples.map(s => ({ what: 'submission', ms: s.ms, label: s.label })))]
  const slow = answers.filter(a => a.ms > ANSWER_LIMIT_MS)
  const broken = answers.filter(a => !/^(200|201|503)$/.test(a.label))
  return [
    { name: `answers within ${ANSWER_LIMIT_MS / 1000} s`, ok: slow.length === 0, detail: `${slow.length} of ${answers.length} slower, max ${(Math.max(0, ...answers.map(a => a.ms)) / 1000).toFixed(1)} s` },
    { name: 'no 500 or unanswered', ok: broken.length === 0, detail: broken.length === 0 ? '0' : broken.slice(0, 5).map(a => `${a.what} ${a.label}`).join(', ') }
  ]
}

/** The zone's quotes plan on replay within 60 s of `since` (the start, or the switch). */
export function fallbackGoal (quotes: readonly QuoteSample[], zone: string, since: number, name: string): Goal {
  const first = firstPlanOn(quotes, zone, since, 'replay')
  const after = first === undefined ? Infinity : first.at + first.ms - since
  return { name: `${name} within ${FALLBACK_LIMIT_MS / 1000} s`, ok: after <= FALLBACK_LIMIT_MS, detail: first === undefined ? 'never' : `after ${(after / 1000).toFixed(1)} s` }
}

/** Per zone: the answers' histogram and the quote latency, as figures. */
export function zoneFigures (quotes: readonly QuoteSample[], zones: readonly FaultZone[]): Array<[string, string]> {
  return zones.map(z => {
    const mine = quotes.filter(q => q.zone === z.zone)
    const counts = new Map<string, number>()
    for (const q of mine) {
      const label = q.source === null ? q.label : `${q.label} ${q.source}`
      counts.set(label, (counts.get(label) ?? 0) + 1)
    }
    const ms = mine.map(q => q.ms).sort((a, b) => a - b)
    return [`quotes ${z.zone}`, `${[...counts].map(([k, n]) => `${k} ×${n}`).join(', ')}; median ${((ms[Math.floor(ms.length / 2)] ?? 0) / 1000).toFixed(2)} s, max ${((ms.at(-1) ?? 0) / 1000).toFixed(1)} s`]
  })
}

async function run (ctx: Context): Promise<Outcome> {
  const fake = await startProviderServer()
  for (const z of ZONES) fake.setMode(z.key, z.mode)
  const bed = await testbedFor(ctx, 'provider-faults', {
    zones: Object.fromEntries(ZONES.map(z => [z.zone, chainOf(fake.url, z)])),
    pools: url => ZONES.map(z => webhookPool(z.pool, z.zone, url)),
    tickMs: 1_000,
    leaseSeconds: 5,
    restartCrashed: false
  })
  try {
    await bed.addInstance('a')
    await bed.ready()
    const t0 = Date.now()
    const quotes = startQuotes(bed, ZONES, 2_000)
    const loads = zoneLoads(bed, ZONES, 12)
    await delay(OBSERVE_MS)
    await quotes.stop()
    const verdict = await settle(bed, loads, 240_000)
    return {
      verdict,
      figures: [...zoneFigures(quotes.samples, ZONES), ['fake provider requests', [...fake.requests].map(([k, n]) => `${k} ${n}`).join(', ')]],
      outage: undefined,
      recoverMs: [],
      goals: [
        ...standardGoals(verdict, bed.crashes),
        ...answerGoals(quotes.samples, loads),
        ...ZONES.map(z => fallbackGoal(quotes.samples, z.zone, t0, `${z.mode}: plans on replay`))
      ],
      evidence: standardEvidence(verdict, bed.crashes)
    }
  } finally {
    await bed.close()
    await fake.close()
  }
}

export const providerFaults: Scenario = {
  name: 'provider-faults',
  title: 'a provider that hangs, one that answers 500, one that sends garbage, each first in a chain before replay',
  run
}

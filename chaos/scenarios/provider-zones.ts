import { startLoad, type Load } from '../load.js'
import { startProviderServer, type ProviderMode, type ProviderServer } from '../provider-server.js'
import { firstPlanOn, type QuoteSample } from '../quotes.js'
import type { Goal } from '../report.js'
import { shortJob, withTestbed, type Context, type Outcome } from '../scenario.js'
import { webhookPool, type Testbed } from '../testbed.js'

/** A zone whose first provider is the fake UK API in one mode, then a replay of GB 2022. */
export interface FaultZone { zone: string, pool: string, key: string, mode: ProviderMode }

/** The longest a quote or a submission may take: the request path waits for a provider only briefly. */
const ANSWER_LIMIT_MS = 10_000
/** A zone whose first provider fails plans on the next one within this long. */
const FALLBACK_LIMIT_MS = 60_000

/** The chain of `z`: the fake at `baseUrl/<key>`, then replay. */
const chainOf = (baseUrl: string, z: FaultZone) => ({
  providers: [{ provider: 'carbonintensity-uk', region: 'national', baseUrl: `${baseUrl}/${z.key}` }, { provider: 'replay', dataset: 'zones-2022', region: 'GB' }],
  refreshMinutes: 30
})

/**
 * One instance (tick 1 s) with a webhook pool per zone and the fake provider in each zone's mode;
 * `body` runs once it is ready. Everything is stopped afterwards, whatever happens.
 */
export async function withProviderZones (ctx: Context, name: string, zones: readonly FaultZone[], body: (bed: Testbed, fake: ProviderServer) => Promise<Outcome>): Promise<Outcome> {
  const fake = await startProviderServer()
  for (const z of zones) fake.setMode(z.key, z.mode)
  try {
    return await withTestbed(ctx, name, {
      zones: Object.fromEntries(zones.map(z => [z.zone, chainOf(fake.url, z)])),
      pools: url => zones.map(z => webhookPool(z.pool, z.zone, url)),
      tickMs: 1_000,
      leaseSeconds: 5,
      restartCrashed: false
    }, 1, async bed => await body(bed, fake))
  } finally {
    await fake.close()
  }
}

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

/** Per zone: the answers (status and plan source) counted, and the quote latency, as figures. */
export function zoneFigures (quotes: readonly QuoteSample[], zones: readonly FaultZone[], suffix = ''): Array<[string, string]> {
  return zones.map(z => {
    const mine = quotes.filter(q => q.zone === z.zone)
    const counts = new Map<string, number>()
    for (const q of mine) {
      const label = q.source === null ? q.label : `${q.label} ${q.source}`
      counts.set(label, (counts.get(label) ?? 0) + 1)
    }
    const ms = mine.map(q => q.ms).sort((a, b) => a - b)
    const latency = `median ${((ms[Math.floor(ms.length / 2)] ?? 0) / 1000).toFixed(2)} s, max ${((ms.at(-1) ?? 0) / 1000).toFixed(1)} s`
    return [`quotes ${z.zone}${suffix}`, `${[...counts].map(([k, n]) => `${k} ×${n}`).join(', ')}; ${latency}`]
  })
}

import { setTimeout as delay } from 'node:timers/promises'
import { startQuotes } from '../quotes.js'
import { jobOutcome, settle, type Context, type Outcome, type Scenario } from '../scenario.js'
import { answerGoals, fallbackGoal, withProviderZones, zoneFigures, zoneLoads, type FaultZone } from './provider-zones.js'

const ZONES: FaultZone[] = [
  { zone: 'GB-HANG', pool: 'hook-hang', key: 'hang', mode: 'hang' },
  { zone: 'GB-500', pool: 'hook-500', key: 'error', mode: 'error' },
  { zone: 'GB-GARBAGE', pool: 'hook-garbage', key: 'garbage', mode: 'garbage' }
]
const OBSERVE_MS = 75_000

/** From the first moment, each zone's first provider fails its way; quotes every 2 s and a job every 6 s per zone. */
async function run (ctx: Context): Promise<Outcome> {
  return await withProviderZones(ctx, 'provider-faults', ZONES, async (bed, fake) => {
    const t0 = Date.now()
    const quotes = startQuotes(bed, ZONES, 2_000)
    const loads = zoneLoads(bed, ZONES, 12)
    await delay(OBSERVE_MS)
    await quotes.stop()
    const verdict = await settle(bed, loads, 240_000)
    return jobOutcome(bed, verdict, [
      ...zoneFigures(quotes.samples, ZONES),
      ['fake provider requests', [...fake.requests].map(([k, n]) => `${k} ${n}`).join(', ')]
    ], [
      ...answerGoals(quotes.samples, loads),
      ...ZONES.map(z => fallbackGoal(quotes.samples, z.zone, t0, `${z.mode}: plans on replay`))
    ])
  })
}

export const providerFaults: Scenario = {
  name: 'provider-faults',
  title: 'a provider that hangs, one that answers 500, one that sends garbage, each first in a chain before replay',
  run
}

import { setTimeout as delay } from 'node:timers/promises'
import { query } from '../postgres.js'
import type { ProviderServer } from '../provider-server.js'
import { firstPlanOn, startQuotes, type QuoteSample } from '../quotes.js'
import type { Goal } from '../report.js'
import { jobOutcome, settle, type Context, type Outcome, type Scenario } from '../scenario.js'
import { answerGoals, fallbackGoal, withProviderZones, zoneFigures, zoneLoads, type FaultZone } from './provider-zones.js'

/** Both start on 30-minute periods; at the switch one fails (the chain falls to hourly replay) and one answers hourly. */
const TO_FAILURE: FaultZone = { zone: 'GB-HALF-FAIL', pool: 'hook-half-fail', key: 'half-fail', mode: 'half-hourly' }
const TO_HOURLY: FaultZone = { zone: 'GB-HALF-HOURLY', pool: 'hook-half-hourly', key: 'half-hourly', mode: 'half-hourly' }
const ZONES = [TO_FAILURE, TO_HOURLY]
const BEFORE_MS = 20_000
const AFTER_MS = 60_000
const UK_SOURCE = 'carbonintensity-uk:national'

/**
 * Time passing, fast: the zones' stored intensity is made two hours older than it is (only its
 * `fetched_at`), so the next tick finds the 30-minute refresh interval passed and fetches again,
 * as it would 30 minutes later. Everything else — the rows, their starts and resolution — is as stored.
 */
async function ageStoredIntensity (databaseUrl: string, zones: readonly string[]): Promise<number> {
  const rows = await query<{ n: number }>(databaseUrl, `
    with aged as (update intensity_points set fetched_at = fetched_at - interval '2 hours' where zone = any($1) returning 1)
    select count(*)::int as n from aged`, [zones])
  return rows[0]?.n ?? 0
}

/** The switch: one provider starts failing, the other answers hourly, and the stored intensity ages past its refresh. */
async function switchResolution (fake: ProviderServer, databaseUrl: string): Promise<{ aged: number, switchedAt: number }> {
  fake.setMode(TO_FAILURE.key, 'error')
  fake.setMode(TO_HOURLY.key, 'hourly')
  const aged = await ageStoredIntensity(databaseUrl, ZONES.map(z => z.zone))
  return { aged, switchedAt: Date.now() }
}

/** Both zones planned on the 30-minute provider first; after the switch every quote planned, the failed one on replay. */
function switchGoals (quotes: readonly QuoteSample[], t0: number, switchedAt: number): Goal[] {
  const after = quotes.filter(q => q.at >= switchedAt)
  return [
    ...ZONES.map(z => ({ name: `${z.zone} planned on the 30-minute provider before the switch`, ok: firstPlanOn(quotes, z.zone, t0, UK_SOURCE) !== undefined, detail: UK_SOURCE })),
    fallbackGoal(quotes, TO_FAILURE.zone, switchedAt, `${TO_FAILURE.zone} plans on replay after the switch`),
    ...ZONES.map(z => {
      const mine = after.filter(q => q.zone === z.zone)
      const planned = mine.filter(q => q.source !== null).length
      return { name: `${z.zone} keeps planning after the switch`, ok: mine.length > 0 && planned === mine.length, detail: `${planned} of ${mine.length} quotes planned` }
    })
  ]
}

/** 20 s on 30-minute periods, the switch, 60 s after it; quotes every 2 s and a job every 6 s per zone. */
async function run (ctx: Context): Promise<Outcome> {
  return await withProviderZones(ctx, 'resolution-switch', ZONES, async (bed, fake) => {
    const t0 = Date.now()
    const quotes = startQuotes(bed, ZONES, 2_000)
    const loads = zoneLoads(bed, ZONES, 13)
    await delay(BEFORE_MS)
    const { aged, switchedAt } = await switchResolution(fake, bed.databaseUrl)
    await delay(AFTER_MS)
    await quotes.stop()
    const verdict = await settle(bed, loads, 240_000)
    return jobOutcome(bed, verdict, [
      ...zoneFigures(quotes.samples.filter(q => q.at >= switchedAt), ZONES, ' after the switch'),
      ['stored rows aged at the switch', String(aged)]
    ], [...answerGoals(quotes.samples, loads), ...switchGoals(quotes.samples, t0, switchedAt)])
  })
}

export const resolutionSwitch: Scenario = {
  name: 'resolution-switch',
  title: 'a 30-minute provider that fails over to hourly replay, and one that starts answering hourly',
  run
}

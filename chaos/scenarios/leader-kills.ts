import { setTimeout as delay } from 'node:timers/promises'
import { until } from '../http.js'
import { leaderOf } from '../leader.js'
import { startLoad } from '../load.js'
import { killNow } from '../processes.js'
import { GB_REPLAY, jobOutcome, receiverFigure, settle, shortJob, withTestbed, type Context, type Outcome, type Scenario } from '../scenario.js'
import { agentPool, webhookPool, type Testbed } from '../testbed.js'

const KILLS = 20
const JOBS = 200
/** The scheduler lease, s: the least GREENSHIFT_LEASE_SECONDS allows, so a standby takes over within ~5 s. */
const LEASE_SECONDS = 5
/** How long the new leader leads before it is killed in turn: long enough to dispatch and collect. */
const LEAD_MS = 1_500
/** No kill loop runs longer than this: with a 60 s lease only a few kills fit, and the goal says so. */
const KILL_PHASE_MS = 170_000
/** A standby that has not taken over after this long never will: the scenario gives up waiting. */
const FAILOVER_LIMIT_MS = 90_000

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

/**
 * Kills the leader (kill -9 of its process group) as soon as one leads and has led for 1.5 s, and
 * restarts it at once as a standby, up to 20 times; returns the kills and each kill → new leader time.
 */
async function killLeaders (bed: Testbed): Promise<{ kills: number, failovers: number[] }> {
  const failovers: number[] = []
  const end = Date.now() + KILL_PHASE_MS
  let killedAt: number | undefined
  let kills = 0
  while (kills < KILLS && Date.now() < end) {
    const leader = await until(FAILOVER_LIMIT_MS, 100, async () => await leaderOf(bed))
    if (leader === undefined) break
    if (killedAt !== undefined) failovers.push(Date.now() - killedAt)
    await delay(LEAD_MS)
    await killNow(leader.proc)
    killedAt = Date.now()
    kills++
    bed.restart(leader)
  }
  const last = await until(FAILOVER_LIMIT_MS, 100, async () => await leaderOf(bed))
  if (last !== undefined && killedAt !== undefined) failovers.push(Date.now() - killedAt)
  return { kills, failovers }
}

async function run (ctx: Context): Promise<Outcome> {
  return await withTestbed(ctx, 'leader-kills', {
    zones: GB_REPLAY,
    pools: url => [webhookPool('hook-gb', 'GB', url), agentPool('agent-gb', 'GB')],
    tickMs: 500,
    leaseSeconds: LEASE_SECONDS,
    restartCrashed: true
  }, 2, async bed => {
    await bed.addAgents('agent-gb', 3)
    // 200 jobs over about two minutes, half to the receiver and half to the agents, each due in 3 min.
    const load = startLoad(bed, {
      prefix: 'kills', workers: 2, paceMs: 1_100, count: JOBS,
      job: i => i % 2 === 0 ? shortJob('hook-gb', 3) : shortJob('agent-gb', 3, bed.agentCommand)
    })
    const { kills, failovers } = await killLeaders(bed)
    await Promise.race([load.done, delay(120_000)])
    const verdict = await settle(bed, [load], 240_000)
    return jobOutcome(bed, verdict, [
      ['leader kills', String(kills)],
      ['failover (kill → a live leader)', failovers.length === 0 ? 'never' : `median ${(median(failovers) / 1000).toFixed(1)} s, max ${(Math.max(...failovers) / 1000).toFixed(1)} s`],
      ['receiver', receiverFigure(bed)]
    ], [{ name: `${KILLS} leader kills`, ok: kills === KILLS, detail: `${kills} in ${Math.round(KILL_PHASE_MS / 1000)} s` }],
    { evidence: bed.receiver.stats.callbackFailures.slice(0, 5) })
  })
}

export const leaderKills: Scenario = {
  name: 'leader-kills',
  title: `two instances on one database, ${KILLS} × kill -9 of the leader while ${JOBS} jobs go to a webhook receiver and an agent pool`,
  run
}

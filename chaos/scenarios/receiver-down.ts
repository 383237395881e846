import { setTimeout as delay } from 'node:timers/promises'
import { startLoad, type Accepted } from '../load.js'
import { GB_REPLAY, jobOutcome, receiverFigure, settle, shortJob, withTestbed, type Context, type Outcome, type Scenario } from '../scenario.js'
import { agentPool, webhookPool, type Testbed } from '../testbed.js'
import type { Verdict } from '../verdict.js'

const UP_FIRST_MS = 10_000
const DOWN_MS = 60_000
/** Jobs of another pool keep starting while one receiver is unreachable: an agent claims every 5 s, the tick runs every 1 s. */
const OTHER_POOL_LIMIT_MS = 15_000

/** Submission (201) → first execution start, per accepted job that ran. */
function startDelays (bed: Testbed, accepted: readonly Accepted[]): number[] {
  const starts = new Map<string, number>()
  for (const e of bed.executions()) starts.set(e.jobId, Math.min(e.start, starts.get(e.jobId) ?? Infinity))
  return accepted.flatMap(a => starts.has(a.id) ? [(starts.get(a.id) ?? 0) - a.at] : [])
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** Figures and goals: when the jobs sent while the receiver was down got through, and how the agent pool fared meanwhile. */
function outcome (bed: Testbed, verdict: Verdict, hooks: readonly Accepted[], agents: readonly Accepted[], [downAt, upAt]: [number, number]): Outcome {
  const whileDown = hooks.filter(a => a.at >= downAt && a.at < upAt)
  const firstDelivery = (id: string) => [...bed.receiver.firstDelivery].find(([key]) => key.startsWith(`${id}.`))?.[1]
  const catchUp = Math.max(...whileDown.map(a => (firstDelivery(a.id) ?? Infinity) - upAt))
  const agentDelays = startDelays(bed, agents.filter(a => a.at >= downAt && a.at < upAt))
  const worstAgent = Math.max(0, ...agentDelays)
  return jobOutcome(bed, verdict, [
    ['webhook jobs submitted while the receiver was down', String(whileDown.length)],
    ['receiver back → their delivery', whileDown.length === 0 ? '—' : `max ${Number.isFinite(catchUp) ? seconds(catchUp) : 'never'}`],
    ['agent jobs meanwhile: submission → start', agentDelays.length === 0 ? '—' : `max ${seconds(worstAgent)}`],
    ['receiver', receiverFigure(bed)]
  ], [
    { name: `agent pool keeps starting jobs within ${OTHER_POOL_LIMIT_MS / 1000} s`, ok: agentDelays.length > 0 && worstAgent <= OTHER_POOL_LIMIT_MS, detail: `max ${seconds(worstAgent)} over ${agentDelays.length} jobs` }
  ])
}

async function run (ctx: Context): Promise<Outcome> {
  return await withTestbed(ctx, 'receiver-down', {
    zones: GB_REPLAY,
    pools: url => [webhookPool('hook-gb', 'GB', url), agentPool('agent-gb', 'GB')],
    tickMs: 1_000,
    leaseSeconds: 5,
    restartCrashed: false
  }, 1, async bed => {
    await bed.addAgents('agent-gb', 2)
    // Webhook jobs every 2 s for 80 s, due in 4 min; agent jobs every 4 s alongside.
    const hooks = startLoad(bed, { prefix: 'hook', workers: 1, paceMs: 2_000, count: 40, job: () => shortJob('hook-gb', 4) })
    const agents = startLoad(bed, { prefix: 'agent', workers: 1, paceMs: 4_000, count: 20, job: () => shortJob('agent-gb', 4, bed.agentCommand) })
    await delay(UP_FIRST_MS)
    await bed.receiver.down()
    const downAt = Date.now()
    await delay(DOWN_MS)
    await bed.receiver.up()
    const upAt = Date.now()
    await Promise.race([Promise.all([hooks.done, agents.done]), delay(60_000)])
    const verdict = await settle(bed, [hooks, agents], 240_000)
    return outcome(bed, verdict, hooks.accepted, agents.accepted, [downAt, upAt])
  })
}

export const receiverDown: Scenario = {
  name: 'receiver-down',
  title: `a webhook receiver down for ${DOWN_MS / 1000} s (connection refused), then back; an agent pool beside it`,
  run
}

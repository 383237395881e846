import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startPrivatePostgres } from './postgres.js'
import { atExit, cleanUpOnExit } from './processes.js'
import { printScenario, printSummary, type ScenarioResult } from './report.js'
import type { Context, Scenario } from './scenario.js'
import { databaseOutage } from './scenarios/database-outage.js'
import { leaderKills } from './scenarios/leader-kills.js'
import { providerFaults } from './scenarios/provider-faults.js'
import { receiverDown } from './scenarios/receiver-down.js'
import { resolutionSwitch } from './scenarios/resolution-switch.js'
import { freePort, runBuilt } from './testbed.js'

/**
 * The chaos suite: real `greenshift serve` instances and agents on a private PostgreSQL, a webhook
 * receiver and a fake provider, all on loopback, with faults injected and the outcome counted.
 *
 *   npm run chaos [-- --only leader-kills,providers] [--dist] [--keep] [--time-limit 600]
 *
 * --dist runs the built CLI (`npm run build` first); --keep leaves the temp dir (logs, database)
 * behind. Exits 1 when a goal is missed, 2 when the time limit cut the suite short.
 */
/**
 * Scenarios in groups run one after the other; a group's scenarios run side by side (each has its
 * own database, instances and receiver). Those that kill processes or the database run alone, so
 * their failover and recovery times are their own.
 */
const GROUPS: Scenario[][] = [[leaderKills], [databaseOutage], [providerFaults, resolutionSwitch, receiverDown]]
const SCENARIOS = GROUPS.flat()

const { values } = parseArgs({
  options: { only: { type: 'string' }, dist: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false }, 'time-limit': { type: 'string', default: '600' } }
})
const limitSeconds = Number(values['time-limit'])
if (!Number.isInteger(limitSeconds) || limitSeconds < 60) throw new Error(`--time-limit must be whole seconds ≥ 60, got ${values['time-limit']}`)
const only = values.only?.split(',').map(s => s.trim())
const unknown = only?.filter(name => !SCENARIOS.some(s => s.name === name)) ?? []
if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map(s => s.name).join(', ')}`)
if (values.dist) runBuilt()

cleanUpOnExit()
const root = mkdtempSync(join(tmpdir(), 'greenshift-chaos-'))
// The postgres user initdb runs as must reach its directory inside.
chmodSync(root, 0o755)
atExit(() => { if (values.keep) process.stdout.write(`chaos: kept ${root}\n`); else rmSync(root, { recursive: true, force: true }) })

const results: ScenarioResult[] = []
setTimeout(() => {
  process.stderr.write(`chaos: the time limit of ${limitSeconds} s is reached; stopping\n`)
  printSummary(results)
  process.exit(2)
}, limitSeconds * 1000).unref()

const started = Date.now()
const ctx: Context = { root, pg: await startPrivatePostgres(root, await freePort()) }
process.stdout.write(`chaos: private PostgreSQL on 127.0.0.1:${ctx.pg.port}, work in ${root}\n`)
/** Runs one scenario; one that throws is a result with the error as its evidence. */
async function runOne (scenario: Scenario): Promise<ScenarioResult> {
  const t0 = Date.now()
  process.stdout.write(`chaos: ${scenario.name} …\n`)
  const base = { name: scenario.name, title: scenario.title }
  try {
    return { ...base, ...await scenario.run(ctx), seconds: (Date.now() - t0) / 1000 }
  } catch (err) {
    const detail = err instanceof Error ? err.stack ?? err.message : String(err)
    return { ...base, seconds: (Date.now() - t0) / 1000, verdict: undefined, figures: [], outage: undefined, recoverMs: [], goals: [{ name: 'ran to the end', ok: false, detail: 'threw' }], evidence: [detail] }
  }
}

for (const group of GROUPS.map(g => g.filter(s => only === undefined || only.includes(s.name))).filter(g => g.length > 0)) {
  for (const result of await Promise.all(group.map(runOne))) {
    results.push(result)
    printScenario(result)
  }
}
printSummary(results)
process.stdout.write(`chaos: ${((Date.now() - started) / 1000).toFixed(0)} s in all\n`)
process.exit(results.every(r => r.goals.every(g => g.ok)) ? 0 : 1)

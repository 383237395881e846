import { join } from 'node:path'
import type { Load } from './load.js'
import type { PrivatePostgres } from './postgres.js'
import { standardEvidence, standardGoals, type Goal, type ScenarioResult } from './report.js'
import { Testbed, type TestbedOptions } from './testbed.js'
import { drain, judge, type Verdict } from './verdict.js'

/** What every scenario gets: the suite's temp dir and its private PostgreSQL. */
export interface Context {
  root: string
  pg: PrivatePostgres
}

/** What a scenario's run returns; the runner adds the name, title and duration. */
export type Outcome = Omit<ScenarioResult, 'name' | 'title' | 'seconds'>

/** One scenario of the suite. */
export interface Scenario {
  name: string
  title: string
  run: (ctx: Context) => Promise<Outcome>
}

/** The scenario's own database on the private server, its directory, and its testbed. */
async function testbedFor (ctx: Context, name: string, options: Parameters<typeof Testbed.create>[2]): Promise<Testbed> {
  const database = `chaos_${name.replace(/-/g, '_')}`
  await ctx.pg.createDatabase(database)
  return await Testbed.create(join(ctx.root, name), ctx.pg.url(database), options)
}

/** One zone, GB, on the shipped 2022 replay: for scenarios about anything but providers. */
export const GB_REPLAY = { GB: { provider: 'replay', dataset: 'zones-2022' } }

/**
 * The scenario's testbed with `instances` instances (a, b …) started and ready, then `body`; every
 * process and server of the testbed is stopped afterwards, whatever happens.
 */
export async function withTestbed (ctx: Context, name: string, options: Parameters<typeof Testbed.create>[2], instances: number, body: (bed: Testbed) => Promise<Outcome>): Promise<Outcome> {
  const bed = await testbedFor(ctx, name, options)
  try {
    for (let i = 0; i < instances; i++) await bed.addInstance(String.fromCharCode(97 + i))
    await bed.ready()
    return await body(bed)
  } finally {
    await bed.close()
  }
}

/** An RFC 3339 instant `minutes` from now. */
export const inMinutes = (minutes: number): string => new Date(Date.now() + minutes * 60_000).toISOString()

/** A job that fits the scenarios: 1 GPU, 1 minute on paper, due `deadlineMinutes` from now. */
export function shortJob (pool: string, deadlineMinutes: number, command?: readonly string[]): Record<string, unknown> {
  return { gpus: 1, durationMinutes: 1, deadline: inMinutes(deadlineMinutes), pools: [pool], ...(command === undefined ? {} : { command }), labels: { suite: 'chaos' } }
}

/** After the loads: wait for the jobs to end (every deadline passed by 30 s at most, or `capMs`), let the receiver report, judge. */
export async function settle (bed: Testbed, loads: readonly Load[], capMs: number): Promise<Verdict> {
  await Promise.all(loads.map(async l => { await l.stop() }))
  const ids = loads.flatMap(l => l.accepted.map(a => a.id))
  await drain(bed.databaseUrl, ids, 30_000, capMs)
  await bed.receiver.settle(15_000)
  return await judge(bed.databaseUrl, ids, bed.executions())
}

/**
 * The outcome of a scenario judged on its jobs: the standard goals (lost, twice, stuck, crashes)
 * and their evidence, then the scenario's own figures, goals and evidence.
 */
export function jobOutcome (bed: Testbed, verdict: Verdict, figures: Array<[string, string]>, goals: Goal[], more: Partial<Pick<Outcome, 'outage' | 'recoverMs' | 'evidence'>> = {}): Outcome {
  return {
    verdict,
    figures,
    outage: more.outage,
    recoverMs: more.recoverMs ?? [],
    goals: [...standardGoals(verdict, bed.crashes), ...goals],
    evidence: [...standardEvidence(verdict, bed.crashes), ...more.evidence ?? []]
  }
}

/** What the receiver saw, in one line. */
export function receiverFigure (bed: Testbed): string {
  const s = bed.receiver.stats
  return `${s.deliveries} deliveries, ${s.repeats} repeats dropped, ${s.badSignatures} bad signatures, ${s.callbackFailures.length} reports never accepted`
}

export type { TestbedOptions }

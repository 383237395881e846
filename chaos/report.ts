import type { Sample } from './load.js'
import type { Crash } from './testbed.js'
import type { Verdict } from './verdict.js'

/** One goal of a scenario and how it went. */
export interface Goal { name: string, ok: boolean, detail: string }

/** What a scenario measured and whether it met its goals. */
export interface ScenarioResult {
  name: string
  title: string
  seconds: number
  verdict: Verdict | undefined
  /** Other measured figures, in print order. */
  figures: Array<[string, string]>
  /** Answers to submissions while the database was down (status or failure → count); undefined when not measured. */
  outage: Map<string, number> | undefined
  /** Database back → first 201, ms, per outage. */
  recoverMs: number[]
  goals: Goal[]
  /** Evidence for the goals missed: job ids, events, log lines. */
  evidence: string[]
}

/** An answer to count: a submission's sample, or a probe's label alone (its 503s are not checked for headers). */
export type Labelled = Pick<Sample, 'label'> & Partial<Pick<Sample, 'retryAfter' | 'problem'>>

/** Counts answers by label; a submission's 503 without Retry-After or without problem+json gets its own label. */
export function histogram (answers: readonly Labelled[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const s of answers) {
    const label = s.label === '503' && (s.retryAfter === null || s.problem === false) ? `503 (no ${s.retryAfter === null ? 'Retry-After' : 'problem+json'})` : s.label
    counts.set(label, (counts.get(label) ?? 0) + 1)
  }
  return counts
}

export const showHistogram = (h: Map<string, number> | undefined): string =>
  h === undefined ? '—' : h.size === 0 ? 'none' : [...h].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}×${n}`).join(', ')

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
export const showRecover = (ms: readonly number[]) => ms.length === 0 ? '—' : ms.map(m => Number.isFinite(m) ? seconds(m) : 'never').join(', ')

/** The goals every scenario has: nothing lost, run twice or stuck, and no instance crashed. */
export function standardGoals (v: Verdict, crashes: readonly Crash[]): Goal[] {
  return [
    { name: 'lost', ok: v.lost.length === 0, detail: String(v.lost.length) },
    { name: 'twice', ok: v.twice.length === 0, detail: String(v.twice.length) },
    { name: 'stuck', ok: v.stuck.length === 0, detail: String(v.stuck.length) },
    { name: 'crashes', ok: crashes.length === 0, detail: crashes.length === 0 ? '0' : crashes.map(c => `${c.instance} exit ${c.exit.code ?? c.exit.signal}`).join(', ') }
  ]
}

/** Evidence lines for the standard goals: at most `limit` job lines each, and every crash's log tail. */
export function standardEvidence (v: Verdict, crashes: readonly Crash[], limit = 10): string[] {
  const some = (what: string, lines: string[]) => lines.length === 0 ? [] : [`${what} (${lines.length}):`, ...lines.slice(0, limit).map(l => `  ${l}`)]
  return [
    ...some('lost', v.lost), ...some('twice', v.twice), ...some('stuck', v.stuck),
    ...crashes.flatMap(c => [`crash of ${c.instance} at ${new Date(c.at).toISOString()} (exit ${c.exit.code ?? c.exit.signal}):`, ...c.tail.split('\n').map(l => `  ${l.slice(0, 300)}`)])
  ]
}

export function printScenario (r: ScenarioResult): void {
  const v = r.verdict
  const lines = [
    '',
    `== ${r.name}: ${r.title} (${seconds(r.seconds * 1000)})`,
    v === undefined ? 'jobs: not judged' : `jobs: accepted ${v.accepted}, lost ${v.lost.length}, twice ${v.twice.length}, stuck ${v.stuck.length}, on time ${v.onTime}/${v.accepted}, stored without a 201 ${v.unanswered}`,
    ...r.figures.map(([k, val]) => `${k}: ${val}`),
    ...(r.outage === undefined ? [] : [`answers during the outage: ${showHistogram(r.outage)}`, `time to recover (database back → first 201): ${showRecover(r.recoverMs)}`]),
    `goals: ${r.goals.map(g => `${g.ok ? 'ok' : 'MISSED'} ${g.name} (${g.detail})`).join('; ')}`,
    ...(r.goals.every(g => g.ok) ? [] : r.evidence)
  ]
  process.stdout.write(lines.join('\n') + '\n')
}

/** The total table: one row per scenario and the sums. */
export function printSummary (results: readonly ScenarioResult[]): void {
  const row = (cells: string[]) => cells.map((c, i) => i === 0 ? c.padEnd(18) : c.padStart(i === 6 ? 0 : 9)).join(' ')
  const out = ['', '== chaos suite: totals', row(['scenario', 'accepted', 'lost', 'twice', 'stuck', 'on time', '  outage answers / recover / goals'])]
  const sum = { accepted: 0, lost: 0, twice: 0, stuck: 0, onTime: 0 }
  for (const r of results) {
    const v = r.verdict
    if (v !== undefined) {
      sum.accepted += v.accepted; sum.lost += v.lost.length; sum.twice += v.twice.length; sum.stuck += v.stuck.length; sum.onTime += v.onTime
    }
    const missed = r.goals.filter(g => !g.ok).map(g => g.name)
    const tail = `  ${r.outage === undefined ? '' : `${showHistogram(r.outage)} / ${showRecover(r.recoverMs)} / `}${missed.length === 0 ? 'all goals met' : `MISSED: ${missed.join(', ')}`}`
    out.push(row([r.name, ...(v === undefined ? ['—', '—', '—', '—', '—'] : [v.accepted, v.lost.length, v.twice.length, v.stuck.length, v.onTime].map(String)), tail]))
  }
  out.push(row(['total', ...[sum.accepted, sum.lost, sum.twice, sum.stuck, sum.onTime].map(String), '']))
  process.stdout.write(out.join('\n') + '\n')
}

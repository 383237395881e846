import { setTimeout as delay } from 'node:timers/promises'
import { ranTwice, type Execution } from './executions.js'
import { query } from './postgres.js'

const FINAL = new Set(['succeeded', 'failed', 'cancelled'])

/** The counts each scenario is judged on, with one line of evidence per job counted. */
export interface Verdict {
  accepted: number
  /** Accepted but vanished, or final without having run to success (failed, or "succeeded" with no execution). */
  lost: string[]
  /** Run twice at the same time, or run to completion more than once. */
  twice: string[]
  /** Not final after the drain although their deadline passed (or the drain hit its cap). */
  stuck: string[]
  /** Succeeded, the last run ending by the deadline. */
  onTime: number
  /** Jobs in the database the suite never got a 201 for (stored, though the answer was an error). */
  unanswered: number
}

interface Row { id: string, state: string, deadline: Date, reason: string | null }

async function rows (url: string, ids: readonly string[]): Promise<Row[]> {
  return await query<Row>(url, `
    select j.id, j.state, j.deadline, e.reason
    from jobs j left join lateral (select reason from job_events where job_id = j.id order by id desc limit 1) e on true
    where j.id = any($1::text[])`, [ids])
}

/**
 * Waits until every accepted job is final, or every deadline has passed by `graceMs`, or `capMs`
 * passed; polls the database every second.
 */
export async function drain (url: string, ids: readonly string[], graceMs: number, capMs: number): Promise<void> {
  const end = Date.now() + capMs
  while (Date.now() < end) {
    const current = await rows(url, ids)
    if (current.length === ids.length && current.every(r => FINAL.has(r.state))) return
    if (Date.now() > Math.max(...current.map(r => r.deadline.getTime())) + graceMs) return
    await delay(1_000)
  }
}

/** Judges the accepted jobs against the database and what the receiver and agents ran. */
export async function judge (url: string, ids: readonly string[], executions: readonly Execution[]): Promise<Verdict> {
  const byId = new Map((await rows(url, ids)).map(r => [r.id, r]))
  const runs = new Map<string, Execution[]>()
  for (const e of executions) runs.set(e.jobId, [...(runs.get(e.jobId) ?? []), e])
  const verdict: Verdict = { accepted: ids.length, lost: [], twice: [], stuck: [], onTime: 0, unanswered: 0 }
  const now = Date.now()
  for (const id of ids) {
    const row = byId.get(id)
    const done = (runs.get(id) ?? []).filter(e => e.end !== null)
    if (ranTwice(runs.get(id) ?? [])) verdict.twice.push(`${id}: ${(runs.get(id) ?? []).map(e => `attempt ${e.attempt} by ${e.by} ${e.start}–${e.end ?? 'running'}`).join(', ')}`)
    if (row === undefined) verdict.lost.push(`${id}: vanished (accepted with 201, not in the database)`)
    else if (!FINAL.has(row.state)) {
      const when = row.deadline.getTime() < now ? 'passed' : 'not yet passed: the drain hit its cap'
      verdict.stuck.push(`${id}: ${row.state}, deadline ${row.deadline.toISOString()} ${when}; last event: ${row.reason ?? '-'}`)
    } else if (row.state !== 'succeeded' || done.length === 0) {
      verdict.lost.push(`${id}: ${row.state}${done.length === 0 ? ', never run' : ''}; last event: ${row.reason ?? '-'}`)
    } else if (Math.max(...done.map(e => e.end ?? 0)) <= row.deadline.getTime()) verdict.onTime++
  }
  const [extra] = await query<{ n: number }>(url, 'select count(*)::int as n from jobs where not (id = any($1::text[]))', [ids])
  verdict.unanswered = extra?.n ?? 0
  return verdict
}

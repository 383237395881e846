import type { JobDetailBody } from './api-types.js'
import { kg, kgOrDash, kwhText, table } from './format.js'
import { figuresNote, planLines } from './format-plan.js'
import { formatMinutes, utc } from './time.js'

type Run = JobDetailBody['runs'][number]
type Ledger = NonNullable<JobDetailBody['ledger']>

const indent = (text: string) => text.split('\n').map(l => l === '' ? l : `  ${l}`).join('\n')

/** One run: `#1 gpu-north agent abc · started … · finished … · exit 0 · succeeded · 1.6 kWh`. */
function runLine (r: Run): string {
  const parts = [
    `#${r.attempt} ${r.pool} ${r.executor}${r.ref === null ? '' : ` ${r.ref}`}`,
    `dispatched ${utc(r.dispatchedAt)}`,
    ...(r.startedAt === null ? [] : [`started ${utc(r.startedAt)}`]),
    ...(r.finishedAt === null ? [] : [`finished ${utc(r.finishedAt)}`]),
    ...(r.exitCode === null ? [] : [`exit ${r.exitCode}`]),
    r.outcome ?? 'open',
    ...(r.energyKwh === null ? [] : [`${kwhText(r.energyKwh)} measured`]),
    ...(r.detail === null ? [] : [r.detail])
  ]
  return parts.join(' · ')
}

/** The ledger in two lines: actual vs baseline and what was avoided; energy, labels and how final it is. */
function ledgerLines (l: Ledger): string {
  const avoided = l.avoidedGrams === null
    ? `no avoided figure: ${l.avoidedNote ?? 'baseline and actual are on different figures'}`
    : `avoided ${kg(l.avoidedGrams)}${l.avoidedPercent === null ? '' : ` (${Math.round(l.avoidedPercent)} %)`}`
  const state = l.provisional ? 'provisional (partly on forecasts)' : l.verified ? 'verified on actual intensity' : 'final'
  return [
    `actual ${kg(l.actual.grams)} on ${l.actual.pool} vs baseline ${kg(l.baseline.grams)} on ${l.baseline.pool} from ${utc(l.baseline.start)} · ${avoided}`,
    `energy ${kwhText(l.energyKwh)} (${l.energyMethod}) over ${l.runMinutes < 1 ? `${Math.round(l.runMinutes * 60)}s` : formatMinutes(Math.round(l.runMinutes))} · ${figuresNote(l.actual)} · ${state}` +
      (l.embodiedGrams === null ? '' : ` · embodied ${kgOrDash(l.embodiedGrams)} apart`)
  ].join('\n') + '\n'
}

/** One event as a timeline row: when, what, the state change (blank for an event that changes none), why. */
function eventRow (e: JobDetailBody['events'][number]): string[] {
  const change = e.fromState === null && e.toState === null ? '' : `${e.fromState ?? '–'} → ${e.toState ?? '–'}`
  return [utc(e.at), e.type, change, e.reason]
}

/** `greenshift job ID` for people: what was asked, the plan, runs, ledger and a timeline of events. */
export function jobText (job: JobDetailBody): string {
  const asked = [
    `${job.gpus} GPU${job.gpus === 1 ? '' : 's'} × ${formatMinutes(job.durationMinutes)}${job.work === null ? '' : ' (estimated from its work)'}`,
    `deadline ${utc(job.deadline)}`,
    ...(job.notBefore === null ? [] : [`not before ${utc(job.notBefore)}`]),
    `submitted ${utc(job.submittedAt)}`,
    ...(job.pools.length === 0 ? [] : [`pools ${job.pools.join(', ')}`]),
    ...(job.zones.length === 0 ? [] : [`zones ${job.zones.join(', ')}`]),
    ...(job.interruptible ? ['interruptible'] : []),
    ...(job.risk === 'averse' ? ['risk-averse (plans on the p90)'] : []),
    ...Object.entries(job.labels).map(([k, v]) => `${k}=${v}`),
    ...(job.command === null ? [] : [`command ${job.command.map(a => /^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)).join(' ')}`])
  ]
  const sections = [
    `job ${job.id} ${job.state}: ${job.name}\n  ${asked.join(' · ')}\n`,
    `plan\n${job.plan === null ? '  none\n' : planLines(job.plan)}`,
    `runs\n${job.runs.length === 0 ? '  none yet\n' : job.runs.map(r => `  ${runLine(r)}\n`).join('')}`,
    `ledger\n${job.ledger === null ? '  none yet (it is computed once a run has started)\n' : indent(ledgerLines(job.ledger))}`,
    `events\n${job.events.length === 0 ? '  none\n' : indent(table(job.events.map(eventRow)))}`
  ]
  return sections.join('')
}

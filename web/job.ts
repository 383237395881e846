// A job's page: its plan (where, when, expected against baseline), its runs (each hand-over to an
// executor), its ledger (what it emitted) and its events. GET /v1/jobs/{id}.
import { api } from './api.js'
import { basis, h, hours, kwh, mass, table, when } from './dom.js'
import type { JobDetail, Plan } from './types.js'

function planBlock (plan: Plan | null): HTMLElement {
  if (plan === null) return h('p', { class: 'hint' }, 'Not planned (yet): no pool can run it before its deadline, or it is waiting for a forecast.')
  const gas = plan.expected.gas
  return h('div', {},
    h('p', {}, `On ${plan.pool} (${plan.zone}), planned ${when(plan.plannedAt)}; latest safe start ${when(plan.latestSafeStart)}; ${kwh(plan.energyKwh)}.`),
    table(['segment start', 'end'], plan.segments.map(seg => [when(seg.start), when(seg.end)])),
    table(['figure', 'emissions', 'basis', 'detail'], [
      ['expected', mass(plan.expected.grams, gas), basis(plan.expected), `${plan.expected.source}${plan.expected.usesFallback ? ' (partly the fallback profile)' : ''}`],
      ['baseline', mass(plan.baseline.grams, gas), basis(plan.baseline), `at once on ${plan.baseline.pool} (${plan.baseline.rule}) from ${when(plan.baseline.start)}`],
      ['avoided', mass(plan.expectedAvoided.grams, gas), basis(plan.expectedAvoided), `${plan.expectedAvoided.percent.toFixed(1)} % of the baseline`]
    ], 'figures'))
}

function ledgerBlock (job: JobDetail): HTMLElement {
  const l = job.ledger
  if (l === null) return h('p', { class: 'hint' }, 'No ledger yet: it is written once a run has used energy.')
  const gas = l.actual.gas
  return h('div', {},
    h('p', {}, `${kwh(l.energyKwh)} (${l.energyMethod}) over ${hours(l.runMinutes)}${l.provisional ? '; provisional until the actual intensity is in' : ''}.`),
    table(['figure', 'emissions', 'basis', 'detail'], [
      ['actual', mass(l.actual.grams, gas), basis(l.actual), `on ${l.actual.pool}, ${l.actual.source}`],
      ['expected', mass(l.expected.grams, gas), basis(l.expected), l.expected.source],
      ['baseline', mass(l.baseline.grams, gas), basis(l.baseline), `on ${l.baseline.pool}`],
      ['avoided', mass(l.avoidedGrams, gas), basis(l.actual), l.avoidedPercent === null ? (l.avoidedNote ?? '') : `${l.avoidedPercent.toFixed(1)} % of the baseline`],
      ['embodied', mass(l.embodiedGrams, gas), 'pool factor × GPU-hours', 'reported apart from operational figures']
    ], 'figures'))
}

export async function jobView (main: HTMLElement, id: string): Promise<void> {
  const job = await api<JobDetail>(`/v1/jobs/${encodeURIComponent(id)}`)
  main.replaceChildren(
    h('h1', {}, job.name, h('span', { class: `tag state-${job.state}` }, job.state)),
    h('p', { class: 'meta', 'data-id': job.id }, `${job.id} · ${job.gpus} GPU × ${hours(job.durationMinutes)} · deadline ${when(job.deadline)} · submitted ${when(job.submittedAt)}`,
      job.pools.length > 0 ? ` · pools ${job.pools.join(', ')}` : ''),
    h('h2', {}, 'Plan'), planBlock(job.plan),
    h('h2', {}, 'Runs'),
    job.runs.length === 0
      ? h('p', { class: 'hint' }, 'Not handed to an executor yet.')
      : table(['attempt', 'pool', 'executor', 'dispatched', 'started', 'finished', 'energy', 'outcome'], job.runs.map(r => [
        r.attempt, r.pool, r.executor, when(r.dispatchedAt, true), when(r.startedAt, true), when(r.finishedAt, true),
        r.energyKwh === null ? '—' : kwh(r.energyKwh), r.outcome === null ? 'open' : `${r.outcome}${r.detail === null ? '' : `: ${r.detail}`}`])),
    h('h2', {}, 'Ledger'), ledgerBlock(job),
    h('h2', {}, 'Events'),
    table(['at', 'event', 'state', 'reason'], job.events.map(e => [when(e.at, true), e.type, e.fromState === null ? (e.toState ?? '') : `${e.fromState} → ${e.toState ?? ''}`, e.reason])),
    h('p', {}, h('a', { href: '#/timeline' }, '← timeline')))
}

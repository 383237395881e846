// Plan a job: the form quotes it first (POST /v1/quotes: the chosen window and every pool's best
// option), then submits the same request (POST /v1/jobs) and opens the job's page.
import { api } from './api.js'
import { basis, errorBox, h, mass, table, when } from './dom.js'
import { parseDuration } from './duration.js'
import type { Job, Pool, Quote, Zone } from './types.js'

const HOUR_MS = 3_600_000

/** `datetime-local` wants local wall time without an offset. */
function localInput (t: number): string {
  const d = new Date(t - new Date(t).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 16)
}

function field (label: string, input: HTMLElement, hint = ''): HTMLElement {
  return h('label', {}, h('span', {}, label), input, hint === '' ? null : h('small', {}, hint))
}

export async function planView (main: HTMLElement): Promise<void> {
  const [pools, zones] = await Promise.all([api<Pool[]>('/v1/pools'), api<Zone[]>('/v1/zones')])
  // A quote's options name their zone; each zone's provider gives its signal.
  const signals = new Map(zones.map(z => [z.name, z.signal]))
  const name = h('input', { name: 'name', required: true, value: 'finetune', maxlength: 200 })
  const gpus = h('input', { name: 'gpus', type: 'number', min: 1, value: 4, required: true })
  const duration = h('input', { name: 'duration', value: '6h', required: true })
  const deadline = h('input', { name: 'deadline', type: 'datetime-local', required: true, value: localInput(Math.ceil((Date.now() + 24 * HOUR_MS) / HOUR_MS) * HOUR_MS) })
  const command = h('input', { name: 'command', value: 'python train.py', placeholder: 'argv, split on spaces' })
  const boxes = pools.filter(p => p.enabled).map(p => h('input', { type: 'checkbox', name: 'pools', value: p.name }))
  const out = h('div', { class: 'quote' })
  const submit = h('button', { type: 'button', name: 'submit', disabled: true }, 'Submit job')
  const form = h('form', { class: 'plan' },
    field('Name', name), field('GPUs', gpus), field('Duration', duration, '6h, 90m or minutes'),
    field('Deadline', deadline, 'your time zone'), field('Command', command, 'what the agent runs'),
    h('fieldset', {}, h('legend', {}, 'Pools (none ticked: any)'),
      ...boxes.map((b, i) => h('label', { class: 'pool' }, b, ` ${pools[i]!.name} (${pools[i]!.zone}, ${pools[i]!.gpuCount} × ${pools[i]!.gpuModel})`))),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', name: 'quote' }, 'Quote'), submit), out)

  let request: Record<string, unknown> | undefined
  let idempotencyKey = ''
  const read = (): Record<string, unknown> => {
    const minutes = parseDuration(duration.value)
    if (minutes === undefined) throw new Error(`duration: "${duration.value}" is not a duration (6h, 90m or minutes)`)
    const t = Date.parse(deadline.value)
    if (Number.isNaN(t)) throw new Error('deadline: pick a date and time')
    const chosen = boxes.filter(b => b.checked).map(b => b.value)
    const argv = command.value.trim().split(/\s+/).filter(a => a !== '')
    return {
      name: name.value.trim(), gpus: Number(gpus.value), durationMinutes: minutes, deadline: new Date(t).toISOString(),
      ...(chosen.length > 0 ? { pools: chosen } : {}), ...(argv.length > 0 ? { command: argv } : {})
    }
  }
  // Any edit invalidates the quote: what is submitted is what was quoted.
  form.addEventListener('input', () => { submit.disabled = true })
  form.addEventListener('submit', e => {
    e.preventDefault()
    submit.disabled = true
    out.replaceChildren(h('p', { class: 'hint' }, 'Quoting…'))
    void (async () => {
      request = read()
      const quote = await api<Quote>('/v1/quotes', { method: 'POST', body: request })
      idempotencyKey = crypto.randomUUID()
      showQuote(out, quote, signals)
      submit.disabled = false
    })().catch((err: unknown) => out.replaceChildren(errorBox(err)))
  })
  submit.addEventListener('click', () => {
    if (request === undefined) return
    submit.disabled = true
    // One key per quote: a double click or a retry after a lost answer submits the job once.
    api<Job>('/v1/jobs', { method: 'POST', body: request, headers: { 'idempotency-key': idempotencyKey } }).then(job => {
      location.hash = `#/jobs/${job.id}`
    }, (err: unknown) => { out.append(errorBox(err)) })
  })
  main.replaceChildren(h('h1', {}, 'Plan a job'), form)
}

function showQuote (out: HTMLElement, quote: Quote, signals: Map<string, string>): void {
  const p = quote.plan
  const gas = p.expected.gas
  out.replaceChildren(
    h('h2', {}, 'Best window'),
    h('p', { class: 'best' }, `Start ${when(p.segments[0]?.start ?? null)} on ${p.pool} (${p.zone}): ${mass(p.expected.grams, gas)} instead of ${mass(p.baseline.grams, gas)} at once on ${p.baseline.pool}, ${mass(p.expectedAvoided.grams, gas)} avoided (${p.expectedAvoided.percent.toFixed(1)} %), ${basis(p.expected)}.`),
    h('h3', {}, 'Each pool\'s best start'),
    table(['pool', 'zone', 'start', 'expected emissions', 'note'], quote.options.map(o => [
      o.pool, o.zone, when(o.start), `${mass(o.grams, o.gas)} (${basis({ signal: signals.get(o.zone) ?? '?', factorType: o.factorType })})`, o.usesFallback ? 'partly beyond the forecast' : ''
    ]), 'options'))
}

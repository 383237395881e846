/**
 * The steps whose output the README shows (see transcripts.ts): curl calls as a user types them,
 * answered by the real service, and the client CLI's commands. Each returns the text of its part of
 * a transcript, the command line included.
 */

/** A running service and the client CLI pointed at it. */
export interface Service {
  url: string
  key: string
  /** Runs `greenshift ARGV…` (a client command) and returns what it printed, stdout and stderr. */
  cli: (...argv: string[]) => Promise<string>
}

export interface Step {
  /** The README block it writes into; steps of one name are joined in order. */
  name: string
  run: (s: Service) => Promise<string>
}

const HOUR_MS = 3_600_000

/** The walk-through's job: a 4-GPU, 6-hour fine-tune due in 30 hours, its baseline in Germany. */
function llamaJob (): Record<string, unknown> {
  return {
    name: 'llama-ft', gpus: 4, durationMinutes: 360, deadline: new Date(Date.now() + 30 * HOUR_MS).toISOString().slice(0, 19) + 'Z', preferredPool: 'h100-de',
    command: ['torchrun', '--nproc-per-node=4', 'train.py'], labels: { team: 'nlp' }
  }
}

async function call (s: Service, method: string, path: string, body?: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number, json: Record<string, unknown> }> {
  const res = await fetch(s.url + path, { method, headers: { authorization: `Bearer ${s.key}`, ...headers }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) })
  return { status: res.status, json: await res.json() as Record<string, unknown> }
}

/** `obj` with only `keys`, in that order. */
function pick (obj: unknown, keys: string[]): Record<string, unknown> {
  const from = obj as Record<string, unknown>
  return Object.fromEntries(keys.filter(k => k in from).map(k => [k, from[k]]))
}

/** JSON with each value of the top two levels on its own line, and anything deeper on one line. */
function compactJson (value: Record<string, unknown>, indent = ''): string {
  const inner = indent + '  '
  const lines = Object.entries(value).map(([k, v]) => {
    const nested = typeof v === 'object' && v !== null && !Array.isArray(v) && indent === ''
    return `${inner}${JSON.stringify(k)}: ${nested ? compactJson(v as Record<string, unknown>, inner) : JSON.stringify(v).replace(/,"/g, ', "').replace(/":/g, '": ')}`
  })
  return `{\n${lines.join(',\n')}\n${indent}}`
}

const shell = (lines: string[], output: string) => lines.map((l, i) => (i === 0 ? '$ ' : '    ') + l).join(' \\\n') + '\n' + output + (output.endsWith('\n') ? '' : '\n')

const submitAnswer: Step = {
  name: 'submit-answer',
  run: async s => {
    const { json } = await call(s, 'POST', '/v1/jobs', llamaJob(), { 'content-type': 'application/json', 'idempotency-key': 'llama-ft-readme' })
    const plan = json.plan as Record<string, unknown>
    const abridged = {
      ...pick(json, ['id', 'state', 'gpus', 'durationMinutes']),
      plan: {
        ...pick(plan, ['pool', 'zone', 'segments', 'latestSafeStart', 'energyKwh']),
        expected: pick(plan.expected, ['grams', 'signal', 'gas', 'factorType', 'source', 'method', 'usesFallback']),
        baseline: pick(plan.baseline, ['grams', 'pool', 'zone', 'rule', 'start', 'signal', 'source']),
        expectedAvoided: plan.expectedAvoided
      }
    }
    return '```json\n' + compactJson(abridged) + '\n```\n'
  }
}

const deadlineFlags = ['--gpus', '4', '--duration', '6h', '--deadline', '+30h']

/** The CLI's part of a transcript: the command as typed, then its output. */
const cli = (name: string, argv: string[], shown = argv): Step => ({
  name,
  run: async s => shell([['greenshift', ...shown.map(a => /[\s'"$]/.test(a) ? `'${a}'` : a)].join(' ')], await s.cli(...argv))
})

const fence = (name: string, open: boolean): Step => ({ name, run: async () => open ? '```console\n' : '```\n' })

/** `greenshift job` for the job the walk-through submitted: found by its name. */
const jobPage: Step = {
  name: 'cli',
  run: async s => {
    const { json } = await call(s, 'GET', '/v1/jobs?limit=1', undefined, {})
    const id = ((json.jobs as Array<{ id: string }>)[0] as { id: string }).id
    return shell([`greenshift job ${id}`], await s.cli('job', id))
  }
}

const errorsShown: Step = {
  name: 'errors',
  run: async s => {
    const tokens = await call(s, 'POST', '/v1/pools/h100-se/tokens', '{"name":"rack-1"}', { 'content-type': 'application/x-www-form-urlencoded' })
    const states = await call(s, 'GET', '/v1/jobs?state=done', undefined, {})
    const noCommand = await call(s, 'POST', '/v1/jobs', { name: 'x', gpus: 1, durationMinutes: 60, deadline: '2030-01-01T09:00:00', pools: ['h100-se'] })
    const noCommandOk = await call(s, 'POST', '/v1/jobs', { ...pick(llamaJob(), ['name', 'gpus', 'durationMinutes', 'deadline']), pools: ['h100-se'] })
    return '```console\n' +
      shell(['curl -s -X POST localhost:8080/v1/pools/h100-se/tokens -H "authorization: Bearer $KEY" -d \'{"name":"rack-1"}\' | jq -r .detail'], String(tokens.json.detail)) +
      shell(['curl -s "localhost:8080/v1/jobs?state=done" -H "authorization: Bearer $KEY" | jq -r .detail'], String(states.json.detail)) +
      shell(['curl -s localhost:8080/v1/jobs -H "authorization: Bearer $KEY" -H \'content-type: application/json\'', '-d \'{"name":"x","gpus":1,"durationMinutes":60,"deadline":"2030-01-01T09:00:00","pools":["h100-se"]}\' | jq -r .detail'], String(noCommand.json.detail)) +
      shell(['curl -s localhost:8080/v1/jobs -H "authorization: Bearer $KEY" -H \'content-type: application/json\'', '-d "{\\"name\\":\\"llama-ft\\",\\"gpus\\":4,\\"durationMinutes\\":360,\\"deadline\\":\\"$DEADLINE\\",\\"pools\\":[\\"h100-se\\"]}" | jq -r .detail'], String(noCommandOk.json.detail)) +
      '```\n'
  }
}

const month = () => new Date().toISOString().slice(0, 7)

export const steps: Step[] = [
  submitAnswer,
  fence('time-shift', true),
  cli('time-shift', ['plan', ...deadlineFlags, '--pool', 'h100-de']),
  fence('time-shift', false),
  fence('cli', true),
  cli('cli', ['plan', ...deadlineFlags, '--preferred-pool', 'h100-de']),
  cli('cli', ['plan', ...deadlineFlags, '--preferred-pool', 'h100-de', '--begin']),
  cli('cli', ['submit', '--name', 'llama-ft-2', ...deadlineFlags, '--preferred-pool', 'h100-de', '--label', 'team=nlp', '--', 'torchrun', '--nproc-per-node=4', 'train.py']),
  cli('cli', ['jobs']),
  jobPage,
  cli('cli', ['zones']),
  { name: 'cli', run: async s => shell([`greenshift report --month ${month()} --by pool`], await s.cli('report', '--month', month(), '--by', 'pool')) },
  fence('cli', false),
  fence('estimate', true),
  cli('estimate', ['estimate', '--params', '7e9', '--samples', '52000', '--seq-len', '512', '--epochs', '1', '--method', 'lora']),
  fence('estimate', false),
  fence('cli-error', true),
  cli('cli-error', ['plan', ...deadlineFlags, '--pool', 'h100-de', '--pool', 'nope']),
  fence('cli-error', false),
  errorsShown
]

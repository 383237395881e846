import { parseArgs } from 'node:util'
import { endpointOf, parsed, required, UsageError, type ClientIo } from './args.js'
import type { JobBody } from './api-types.js'
import { jsonText } from './format.js'
import { planLines } from './format-plan.js'
import { workLines } from './format-work.js'
import { callJson } from './http.js'
import { JOB_FLAGS, JOB_FLAGS_HELP, JOB_OPTIONS, jobInput, TIME_NOTE } from './job-spec.js'

export const SUBMIT_USAGE = `usage: greenshift submit --name N --gpus N (--duration D | WORK) --deadline WHEN [--pool P]... [--zone Z]...
                        [--label k=v]... [--idempotency-key K] [--interruptible] [--risk neutral|averse] [--json] [-- ARGV...]
       WORK: --params N (--tokens T | --samples S --seq-len L) --method M [--epochs E] [--precision P] [--family F]

Submits a job (POST /v1/jobs); it is planned at once. Prints its id and plan, and for a job given its
work the estimate it was planned with. E.g.
  greenshift submit --name alpaca-lora --params 7e9 --samples 52000 --seq-len 512 --epochs 2 --method lora \\
    --gpus 1 --deadline 'tomorrow 09:00' -- python train.py

  --name N              the job's name (required)
${JOB_FLAGS_HELP}
  --idempotency-key K   a retry with the same key returns the same job instead of a second one
  -- ARGV...            the command an agent runs, without a shell (the job's command)
${TIME_NOTE}`

/** `greenshift submit`: a job from flags, with the argv after `--` as its command. */
export async function submitCommand (args: string[], env: NodeJS.ProcessEnv, io: ClientIo): Promise<number> {
  const { values, positionals, tokens } = parsed('submit', () => parseArgs({
    args, options: { ...JOB_OPTIONS, 'idempotency-key': { type: 'string' } }, strict: true, allowPositionals: true, tokens: true
  }))
  if (values.help) {
    io.out(SUBMIT_USAGE)
    return 0
  }
  // Only what follows `--` is the command; a stray word before it is more likely a mistyped flag.
  const terminator = tokens.find(t => t.kind === 'option-terminator')?.index ?? Infinity
  const stray = tokens.find(t => t.kind === 'positional' && t.index < terminator)
  if (stray?.kind === 'positional') throw new UsageError(`submit: unexpected argument "${stray.value}"; put the job's command after --`)
  const command = terminator === Infinity ? [] : positionals
  const { body, work, summary } = jobInput(values, io, required('--name', values.name, 'train-llm'))
  if (command.length > 0) body.command = command
  const key = values['idempotency-key']
  if (key !== undefined && key.trim() === '') throw new UsageError('--idempotency-key needs a value')
  const endpoint = endpointOf(values, env)
  const { status, json } = await callJson<JobBody>(endpoint, 'POST', '/v1/jobs', {
    body, flags: JOB_FLAGS, ...(key === undefined ? {} : { headers: { 'idempotency-key': key } })
  })
  if (values.json) {
    io.out(jsonText(json))
    return 0
  }
  const replayed = status === 200 ? ' (already submitted with this idempotency key)' : ''
  io.out(`job ${json.id} ${json.state}${replayed}: ${json.name}, ${summary(json.estimate)}\n`)
  const asked = json.work ?? work
  if (asked !== undefined && json.estimate !== null) io.out(workLines(asked, json.estimate, '  '))
  if (json.plan !== null) io.out(planLines(json.plan))
  return 0
}

import { parseArgs } from 'node:util'
import { endpointOf, parsed, UsageError, type ClientIo } from './args.js'
import type { QuoteBody } from './api-types.js'
import { jsonText } from './format.js'
import { quoteText } from './format-plan.js'
import { workLines } from './format-work.js'
import { callJson } from './http.js'
import { JOB_FLAGS, JOB_FLAGS_HELP, JOB_OPTIONS, jobInput, TIME_NOTE } from './job-spec.js'
import { atTime, sbatchTime } from './time.js'

export const PLAN_USAGE = `usage: greenshift plan --gpus N (--duration D | WORK) --deadline WHEN [--pool P]... [--zone Z]...
                      [--interruptible] [--risk neutral|averse] [--begin | --at | --json]
       WORK: --params N (--tokens T | --samples S --seq-len L) --method M [--epochs E] [--precision P] [--family F]

Quotes a job without submitting it (POST /v1/quotes): the best start in each pool, lowest first,
each against starting at once on the baseline pool. A job given its work is estimated on each
allowed pool (as greenshift estimate does) and planned with the longest; the estimate is printed first.
${JOB_FLAGS_HELP}
  --begin               print only the planned start as local YYYY-MM-DDTHH:MM:SS, for
                        sbatch --begin=$(greenshift plan … --begin)
  --at                  print only the planned start as local YYYYMMDDhhmm, for
                        at -t $(greenshift plan … --at)
${TIME_NOTE}`

/** `greenshift plan`: a quote, CATS-style, or only its start time for sbatch or at. */
export async function planCommand (args: string[], env: NodeJS.ProcessEnv, io: ClientIo): Promise<number> {
  const { values } = parsed('plan', () => parseArgs({
    args, options: { ...JOB_OPTIONS, begin: { type: 'boolean', default: false }, at: { type: 'boolean', default: false } }, strict: true, allowPositionals: false
  }))
  if (values.help) {
    io.out(PLAN_USAGE)
    return 0
  }
  if ([values.begin, values.at, values.json].filter(Boolean).length > 1) throw new UsageError('plan: --begin, --at and --json each choose the output; give one')
  const { body, work, summary } = jobInput(values, io, values.name ?? 'plan')
  const endpoint = endpointOf(values, env)
  const { json } = await callJson<QuoteBody>(endpoint, 'POST', '/v1/quotes', { body, flags: JOB_FLAGS })
  const start = json.plan.segments[0]?.start
  if (values.begin || values.at) {
    if (start === undefined) throw new Error('the plan has no start')
    const t = Date.parse(start)
    io.out((values.begin ? sbatchTime(t, io.zone) : atTime(t, io.zone)) + '\n')
  } else if (values.json) {
    io.out(jsonText(json))
  } else {
    if (work !== undefined && json.estimate !== null) io.out(workLines(work, json.estimate))
    io.out(quoteText(json, `best start per pool for ${summary(json.estimate)}, lowest first:`))
  }
  return 0
}

import { UsageError, type ClientIo } from './args.js'
import { estimateCommand } from './estimate.js'
import { UnreachableError } from './http.js'
import { importCommand } from './import.js'
import { cancelCommand, jobCommand, jobsCommand } from './jobs.js'
import { planCommand } from './plan.js'
import { reportCommand } from './report.js'
import { submitCommand } from './submit.js'
import { zonesCommand } from './zones.js'

export type { ClientIo } from './args.js'

type Command = (args: string[], env: NodeJS.ProcessEnv, io: ClientIo) => Promise<number>

const COMMANDS: Record<string, Command> = {
  plan: planCommand,
  estimate: estimateCommand,
  import: importCommand,
  submit: submitCommand,
  jobs: jobsCommand,
  job: jobCommand,
  cancel: cancelCommand,
  report: reportCommand,
  zones: zonesCommand
}

/** Exit codes of the client commands, as `greenshift help` and the README list them. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const

export const CLIENT_USAGE = `client commands (talk to a running server: GREENSHIFT_URL, default http://127.0.0.1:8080, and
GREENSHIFT_API_KEY; --url and --key win; --json prints the API's JSON; each takes --help):
  plan --gpus N --duration 6h --deadline 'tomorrow 09:00' [--pool P]... [--zone Z]... [--begin | --at]
                                the best start per pool, lowest first; --begin prints only the start
                                for sbatch --begin=, --at for at -t (local time)
  plan --gpus 1 --params 7e9 --samples 52000 --seq-len 512 --method lora --deadline WHEN …
                                the same for a job given its work in place of --duration (as for
                                estimate; also --tokens, --epochs, --precision, --family): estimated
                                on each allowed pool, planned with the longest
  estimate --params 7e9 --samples 52000 --seq-len 512 --method lora [--epochs E] [--gpus N] [--pool P]...
                                a job's duration and energy per pool from its work (also --tokens)
  import codecarbon emissions.csv --params 7e9 --method lora --samples 52000 --seq-len 512 [--family F]
                                store CodeCarbon's measured runs as energy history for estimates
  submit --name N --gpus N (--duration D | --params 7e9 … --method M) --deadline WHEN [--label k=v]...
         [--idempotency-key K] [-- ARGV...]
                                submit a job, given its duration or its work; prints its id and plan
  jobs [--state S] [--limit N]  this tenant's jobs
  job ID                        one job: plan, runs, ledger, events
  cancel ID                     cancel a job
  report --month 2026-11 [--by pool|zone|label:team|…] [--csv]
                                emissions, expected, baseline and avoided (also --from/--to)
  zones                         each zone's provider, forecast age and horizon, last error

  Durations: 6h, 90m, 1h30m, 2d. Times: 'tomorrow 09:00', 'today 18:00', '09:00', '+12h',
  '2026-12-04 09:00' are in this machine's time zone (TZ); RFC 3339 with an offset is exact.
  Output shows instants in UTC (…Z).

exit codes: 0 ok; 1 the server refused or failed (4xx/5xx) or another error; 2 usage error
(bad flags); 3 the server is unreachable
`

/** True for the commands `runClient` runs. */
export const isClientCommand = (command: string | undefined): boolean => command !== undefined && Object.hasOwn(COMMANDS, command)

/** Runs one client command; every failure becomes one `greenshift: …` line on stderr and its exit code. */
export async function runClient (command: string, args: string[], env: NodeJS.ProcessEnv, io: ClientIo): Promise<number> {
  const run = COMMANDS[command]
  if (run === undefined) throw new Error(`not a client command: ${command}`)
  try {
    return await run(args, env, io)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    io.err(`greenshift: ${message}\n`)
    if (err instanceof UsageError) return EXIT.usage
    if (err instanceof UnreachableError) return EXIT.unreachable
    // A ServerError (4xx/5xx) and anything unexpected, such as an answer of the wrong shape.
    return EXIT.refused
  }
}

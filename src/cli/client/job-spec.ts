import { COMMON, integer, labels, required, UsageError, type ClientIo } from './args.js'
import type { WorkBody, WorkEstimateBody } from './api-types.js'
import { plannedMinutes } from './format-work.js'
import { DEADLINE_FORMS, DURATION_FORMS, formatMinutes, parseDuration, parseInstant, utc } from './time.js'
import { WORK_FLAGS, WORK_OPTIONS, workFlagsHelp, workFlagsGiven, workInput, type WorkValues } from './work-spec.js'

/** The flags that describe a job, shared by `plan` and `submit`. */
export const JOB_OPTIONS = {
  ...COMMON,
  ...WORK_OPTIONS,
  name: { type: 'string' },
  gpus: { type: 'string' },
  duration: { type: 'string' },
  deadline: { type: 'string' },
  'not-before': { type: 'string' },
  pool: { type: 'string', multiple: true },
  zone: { type: 'string', multiple: true },
  'preferred-pool': { type: 'string' },
  interruptible: { type: 'boolean', default: false },
  risk: { type: 'string' },
  label: { type: 'string', multiple: true }
} as const

/** The API's job fields by the flag that sets them, so a server's 422 names the user's flag. */
export const JOB_FLAGS: Record<string, string> = {
  name: '--name',
  gpus: '--gpus',
  durationMinutes: '--duration',
  ...WORK_FLAGS,
  'labels.family': '--family (or --label family=…)',
  deadline: '--deadline',
  notBefore: '--not-before',
  pools: '--pool',
  zones: '--zone',
  preferredPool: '--preferred-pool',
  interruptible: '--interruptible',
  risk: '--risk',
  labels: '--label',
  command: 'the command after --',
  'idempotency-key': '--idempotency-key'
}

export const JOB_FLAGS_HELP = `  --gpus N              GPUs the job needs (required)
  --duration D          expected run time: ${DURATION_FORMS}; or give the work it does instead,
                        estimated on each allowed pool and planned with the longest (one of the two):
${workFlagsHelp(4)}
  --family NAME         the job's energy history family (its labels.family; default method:parameters)
  --deadline WHEN       when it must have finished (required): 'tomorrow 09:00', 'today 18:00',
                        '09:00' (the next one), '+12h', '2026-12-04 09:00', or RFC 3339 with an
                        offset (2026-12-04T09:00:00Z)
  --not-before WHEN     earliest start, same forms
  --pool P, --zone Z    allowed pools or zones (repeatable; default: every pool)
  --preferred-pool P    the pool it would run on without greenshift: the baseline it is compared with
  --interruptible       it checkpoints, so it may run in several green slices
  --risk neutral|averse neutral (default) plans on the median forecast; averse on the window's
                        p90 emissions, for a tighter worst case where the forecast is uncertain
  --label k=v           a label (repeatable), e.g. --label team=nlp`

/** Said at the end of `plan --help` and `submit --help`. */
export const TIME_NOTE = `
Words and times without an offset are in this machine's time zone (TZ); output shows UTC (…Z).
`

type JobValues = WorkValues & {
  family?: string | undefined
  name?: string | undefined
  gpus?: string | undefined
  duration?: string | undefined
  deadline?: string | undefined
  'not-before'?: string | undefined
  pool?: string[] | undefined
  zone?: string[] | undefined
  'preferred-pool'?: string | undefined
  interruptible?: boolean | undefined
  risk?: string | undefined
  label?: string[] | undefined
}

/** An instant flag in one of DEADLINE_FORMS, resolved with the client's clock and time zone. */
export function instantFlag (flag: string, text: string, io: ClientIo): number {
  const t = parseInstant(text, io.now(), io.zone)
  if (t === undefined) throw new UsageError(`${flag} "${text}" is not a time; use ${DEADLINE_FORMS}`)
  return t
}

/** A job's body for the API, and its summary once the server has answered (a work job's duration is the server's estimate). */
export interface JobRequest {
  body: Record<string, unknown>
  /** The work the flags gave; undefined for a job given --duration. */
  work: WorkBody | undefined
  /** `2 GPUs × 2h, deadline …`, from the answer's estimate for a work job. */
  summary: (estimate: WorkEstimateBody | null) => string
}

const WORK_EXAMPLE = '--params 7e9 --samples 52000 --seq-len 512 --method lora'

/** `--duration` or the work flags: exactly one, or a UsageError naming them. */
function durationOrWork (values: JobValues): { durationMinutes: number, work?: undefined } | { work: WorkBody, durationMinutes?: undefined } {
  const workFlags = workFlagsGiven(values)
  if (values.duration !== undefined && workFlags.length > 0) {
    throw new UsageError(`give --duration or the job's work (${workFlags.join(', ')}), not both`)
  }
  if (values.duration === undefined && workFlags.length === 0) {
    throw new UsageError(`give --duration (e.g. --duration 6h) or the job's work (e.g. ${WORK_EXAMPLE})`)
  }
  if (values.duration === undefined) return { work: workInput(values) }
  const durationMinutes = parseDuration(required('--duration', values.duration, '6h'))
  if (durationMinutes === undefined) throw new UsageError(`--duration "${values.duration}" is not a duration; use ${DURATION_FORMS}`)
  return { durationMinutes }
}

/** `--label k=v` flags with `--family`, which is labels.family; a `--label family=` of another value is a mistake. */
function jobLabels (values: JobValues): Record<string, string> | undefined {
  const given = labels(values.label)
  const family = values.family
  if (family === undefined) return given
  if (family.trim() === '') throw new UsageError('--family needs a name, e.g. --family alpaca-lora')
  if (given?.family !== undefined && given.family !== family) throw new UsageError(`--family "${family}" and --label family=${given.family} disagree; give one`)
  return { ...given, family }
}

/** The job body the API takes, from the flags; the deadline is checked here so the error shows what it resolved to. */
export function jobInput (values: JobValues, io: ClientIo, name: string): JobRequest {
  const gpus = integer('--gpus', required('--gpus', values.gpus, '4'), 1, 100_000)
  const { durationMinutes, work } = durationOrWork(values)
  const deadlineText = required('--deadline', values.deadline, "'tomorrow 09:00'")
  const deadline = instantFlag('--deadline', deadlineText, io)
  if (deadline <= io.now()) throw new UsageError(`--deadline "${deadlineText}" is ${utc(deadline)}, which has passed`)
  const notBefore = values['not-before'] === undefined ? undefined : instantFlag('--not-before', values['not-before'], io)
  if (values.risk !== undefined && values.risk !== 'neutral' && values.risk !== 'averse') throw new UsageError(`--risk "${values.risk}" must be neutral or averse`)
  const labelRecord = jobLabels(values)
  const body: Record<string, unknown> = {
    name,
    gpus,
    ...(work === undefined ? { durationMinutes } : { work }),
    deadline: new Date(deadline).toISOString(),
    ...(notBefore === undefined ? {} : { notBefore: new Date(notBefore).toISOString() }),
    ...(values.interruptible === true ? { interruptible: true } : {}),
    ...(values.risk === undefined ? {} : { risk: values.risk }),
    ...(values.pool === undefined ? {} : { pools: values.pool }),
    ...(values.zone === undefined ? {} : { zones: values.zone }),
    ...(values['preferred-pool'] === undefined ? {} : { preferredPool: values['preferred-pool'] }),
    ...(labelRecord === undefined ? {} : { labels: labelRecord })
  }
  const summary = (estimate: WorkEstimateBody | null): string => {
    const duration = estimate === null ? formatMinutes(durationMinutes ?? 0) : `${formatMinutes(plannedMinutes(estimate))} (estimated from its work)`
    return `${gpus} GPU${gpus === 1 ? '' : 's'} × ${duration}, deadline ${utc(deadline)}` + (notBefore === undefined ? '' : `, not before ${utc(notBefore)}`)
  }
  return { body, work, summary }
}

import { COMMON, integer, labels, required, UsageError, type ClientIo } from './args.js'
import { DEADLINE_FORMS, DURATION_FORMS, formatMinutes, parseDuration, parseInstant, utc } from './time.js'

/** The flags that describe a job, shared by `plan` and `submit`. */
export const JOB_OPTIONS = {
  ...COMMON,
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
  --duration D          expected run time: ${DURATION_FORMS} (required)
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

type JobValues = {
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

/** The job body the API takes, from the flags; the deadline is checked here so the error shows what it resolved to. */
export function jobInput (values: JobValues, io: ClientIo, name: string): { body: Record<string, unknown>, summary: string } {
  const gpus = integer('--gpus', required('--gpus', values.gpus, '4'), 1, 100_000)
  const durationText = required('--duration', values.duration, '6h')
  const durationMinutes = parseDuration(durationText)
  if (durationMinutes === undefined) throw new UsageError(`--duration "${durationText}" is not a duration; use ${DURATION_FORMS}`)
  const deadlineText = required('--deadline', values.deadline, "'tomorrow 09:00'")
  const deadline = instantFlag('--deadline', deadlineText, io)
  if (deadline <= io.now()) throw new UsageError(`--deadline "${deadlineText}" is ${utc(deadline)}, which has passed`)
  const notBefore = values['not-before'] === undefined ? undefined : instantFlag('--not-before', values['not-before'], io)
  if (values.risk !== undefined && values.risk !== 'neutral' && values.risk !== 'averse') throw new UsageError(`--risk "${values.risk}" must be neutral or averse`)
  const body: Record<string, unknown> = {
    name,
    gpus,
    durationMinutes,
    deadline: new Date(deadline).toISOString(),
    ...(notBefore === undefined ? {} : { notBefore: new Date(notBefore).toISOString() }),
    ...(values.interruptible === true ? { interruptible: true } : {}),
    ...(values.risk === undefined ? {} : { risk: values.risk }),
    ...(values.pool === undefined ? {} : { pools: values.pool }),
    ...(values.zone === undefined ? {} : { zones: values.zone }),
    ...(values['preferred-pool'] === undefined ? {} : { preferredPool: values['preferred-pool'] }),
    ...(values.label === undefined ? {} : { labels: labels(values.label) })
  }
  const summary = `${gpus} GPU${gpus === 1 ? '' : 's'} × ${formatMinutes(durationMinutes)}, deadline ${utc(deadline)}` +
    (notBefore === undefined ? '' : `, not before ${utc(notBefore)}`)
  return { body, summary }
}

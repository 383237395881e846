import { required, UsageError } from './args.js'
import type { WorkBody } from './api-types.js'

// A job's work as flags, shared by `estimate`, `import codecarbon`, `plan` and `submit`.

/** The flags that describe a job's work, and `--family`, the energy history it is looked up in. */
export const WORK_OPTIONS = {
  params: { type: 'string' },
  tokens: { type: 'string' },
  samples: { type: 'string' },
  'seq-len': { type: 'string' },
  epochs: { type: 'string' },
  method: { type: 'string' },
  precision: { type: 'string' },
  family: { type: 'string' }
} as const

/** The work flags (`--family` aside: it names the history, not the work). */
export const WORK_FLAG_NAMES = ['--params', '--tokens', '--samples', '--seq-len', '--epochs', '--method', '--precision'] as const

/** The API's work fields by the flag that sets them, so a server's 422 names the user's flag. */
export const WORK_FLAGS: Record<string, string> = {
  work: `${WORK_FLAG_NAMES.slice(0, -1).join(', ')} or ${WORK_FLAG_NAMES.at(-1) ?? ''}`,
  'work.parameters': '--params',
  'work.tokens': '--tokens',
  'work.samples': '--samples',
  'work.seqLen': '--seq-len',
  'work.epochs': '--epochs',
  'work.method': '--method',
  'work.precision': '--precision',
  family: '--family'
}

const WORK_HELP: ReadonlyArray<[string, string]> = [
  ['--params N', 'model parameters: 7e9, 7B, 1.3b, 350M'],
  ['--tokens T', 'tokens per epoch (or --samples and --seq-len)'],
  ['--samples S', 'samples per epoch, e.g. 52000 or 52k'],
  ['--seq-len L', 'tokens per sample (the padded length, or the mean with packing)'],
  ['--epochs E', 'passes over the data (default 1)'],
  ['--method M', 'full, lora, qlora or inference (required)'],
  ['--precision P', 'bf16 (default), fp16, fp32, int8 or int4']
]

/** The work flags' help lines: each flag `indent` spaces in, its description from column 25 as in every usage text. */
export function workFlagsHelp (indent = 2): string {
  return WORK_HELP.map(([flag, text]) => `${' '.repeat(indent)}${flag}`.padEnd(24) + text).join('\n')
}

const METHODS = ['full', 'lora', 'qlora', 'inference'] as const
const PRECISIONS = ['bf16', 'fp16', 'fp32', 'int8', 'int4'] as const
const SUFFIX: Record<string, number> = { '': 1, K: 1e3, M: 1e6, B: 1e9, T: 1e12 }

/** A positive amount: 7e9, 7B, 52k, 0.5. */
export function amount (flag: string, text: string, whole = false): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmbt]?)$/i.exec(text.trim())
  const n = m === null ? NaN : Number(m[1]) * (SUFFIX[(m[2] ?? '').toUpperCase()] ?? NaN)
  if (!(n > 0) || !Number.isFinite(n) || (whole && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be a positive ${whole ? 'whole ' : ''}number such as 7e9, 7B or 52k (got "${text}")`)
  }
  return n
}

function oneOf<T extends string> (flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got "${text}")`)
  return text as T
}

/** The work flags' values, as parseArgs gives them. */
export interface WorkValues {
  params?: string | undefined
  tokens?: string | undefined
  samples?: string | undefined
  'seq-len'?: string | undefined
  epochs?: string | undefined
  method?: string | undefined
  precision?: string | undefined
}

/** The work flags given, as the user typed them. */
export const workFlagsGiven = (v: WorkValues): string[] => WORK_FLAG_NAMES.filter(f => v[f.slice(2) as keyof WorkValues] !== undefined)

/** The API's `work` from the flags; a missing or bad one is a UsageError naming it. */
export function workInput (v: WorkValues): WorkBody {
  const parameters = amount('--params', required('--params', v.params, '7e9'))
  const method = oneOf('--method', required('--method', v.method, 'lora'), METHODS)
  const precision = v.precision === undefined ? undefined : oneOf('--precision', v.precision, PRECISIONS)
  const { tokens, samples, 'seq-len': seqLen, epochs } = v
  if (tokens !== undefined && (samples !== undefined || seqLen !== undefined)) throw new UsageError('give --tokens, or --samples and --seq-len, not both')
  if (tokens === undefined && (samples === undefined || seqLen === undefined)) throw new UsageError('give --tokens, or --samples with --seq-len, e.g. --samples 52000 --seq-len 512')
  const size = tokens !== undefined
    ? { tokens: amount('--tokens', tokens) }
    : { samples: amount('--samples', samples ?? '', true), seqLen: amount('--seq-len', seqLen ?? '', true) }
  return {
    parameters,
    ...size,
    ...(epochs === undefined ? {} : { epochs: amount('--epochs', epochs) }),
    method,
    ...(precision === undefined ? {} : { precision })
  }
}

import type { TimeZone } from './time.js'

/** A command line the client does not understand: exit code 2. The message names the flag. */
export class UsageError extends Error {}

/** Where a client command writes, and the clock and time zone it reads 'tomorrow 09:00' with. */
export interface ClientIo {
  out: (s: string) => void
  err: (s: string) => void
  now: () => number
  zone: TimeZone
}

/** The flags every client command takes. */
export const COMMON = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false }
} as const

/** Runs `parseArgs` (or any parse), turning node's long messages into one line naming the flag. */
export function parsed<T> (command: string, parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    const code = (err as { code?: string }).code
    const message = err instanceof Error ? err.message : String(err)
    const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? ''
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`${command}: unknown option ${flag} (see greenshift ${command} --help)`)
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(/argument missing/.test(message) ? `${command}: ${flag} needs a value` : `${command}: ${flag} takes no value`)
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const arg = /'([^']*)'/.exec(message)?.[1] ?? ''
      // A key put where a flag belongs is never echoed to a terminal or a log.
      const shown = /^gs_/.test(arg) ? 'that looks like an API key (give it with --key or GREENSHIFT_API_KEY)' : `"${arg}"`
      throw new UsageError(`${command}: unexpected argument ${shown} (see greenshift ${command} --help)`)
    }
    throw err
  }
}

/** A whole number from `min` to `max` given to `flag`. */
export function integer (flag: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN
  if (!(n >= min && n <= max)) throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got "${text}")`)
  return n
}

/** A flag that must be given and not empty. */
export function required (flag: string, value: string | undefined, example: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${flag} is required, e.g. ${flag} ${example}`)
  return value
}

/** `--label k=v` flags as a record; a key twice is a mistake, not a silent override. */
export function labels (pairs: readonly string[] = []): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    const key = pair.slice(0, eq)
    if (eq <= 0) throw new UsageError(`--label must be key=value (got "${pair}")`)
    if (key in out) throw new UsageError(`--label ${key} is given twice`)
    out[key] = pair.slice(eq + 1)
  }
  return out
}

/** The server to talk to: its base URL, which setting named it (for errors), and the API key. */
export interface Endpoint {
  url: string
  source: '--url' | 'GREENSHIFT_URL' | 'default'
  key: string
}

/** `greenshift serve` listens on 8080 unless PORT says otherwise. */
export const DEFAULT_URL = 'http://127.0.0.1:8080'

/** `--url`/`--key` win over GREENSHIFT_URL/GREENSHIFT_API_KEY; the URL defaults to a local server. */
export function endpointOf (flags: { url?: string | undefined, key?: string | undefined }, env: NodeJS.ProcessEnv): Endpoint {
  const [url, source]: [string, Endpoint['source']] = flags.url !== undefined ? [flags.url, '--url']
    : env.GREENSHIFT_URL !== undefined && env.GREENSHIFT_URL !== '' ? [env.GREENSHIFT_URL, 'GREENSHIFT_URL']
      : [DEFAULT_URL, 'default']
  let parsedUrl: URL
  try {
    parsedUrl = new URL(url)
  } catch {
    throw new UsageError(`${source} is not a URL (got "${url.slice(0, 100)}"); e.g. http://127.0.0.1:8080`)
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') throw new UsageError(`${source} must be an http:// or https:// URL (got "${parsedUrl.protocol}")`)
  const key = flags.key ?? env.GREENSHIFT_API_KEY ?? ''
  if (key.trim() === '') throw new UsageError('no API key: set GREENSHIFT_API_KEY (or pass --key, which other users can see in the process list)')
  return { url: url.replace(/\/+$/, ''), source, key: key.trim() }
}

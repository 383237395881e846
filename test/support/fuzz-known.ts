import { HOUR, NOW } from './app.js'
import type { FuzzRequest, Raw } from './fuzz-request.js'

/** 0000-01-01 and 10000-01-01 UTC in epoch ms. */
const YEAR_0 = -62_167_219_200_000
const YEAR_10000 = 253_402_300_800_000
/** How JSON.stringify writes a lone surrogate (a pair it writes as is). */
const LONE_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/i

function cursorInstant (v: string | Raw): unknown {
  if (typeof v !== 'string') return undefined
  try {
    const parsed: unknown = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'))
    return Array.isArray(parsed) ? parsed[0] : undefined
  } catch {
    return undefined
  }
}

/**
 * Bugs found on main that other branches fix, by the requests that run into them. The fuzz test
 * sends these too unless FUZZ_KNOWN=0; delete an entry once its fix is merged (the test then
 * holds the fix in place).
 */
const KNOWN: Array<{ name: string, matches: (req: FuzzRequest) => boolean }> = [
  {
    // issue 10 (5): in labels, command, payload, or a pool's executor (createPool, updatePool), it
    // reaches PostgreSQL as `invalid input syntax for type json` → 500. Branch edges.
    name: 'lone surrogate in a JSON body',
    matches: req => req.body !== undefined && 'json' in req.body && LONE_SURROGATE.test(JSON.stringify(req.body.json) ?? '')
  },
  {
    // issue 10 (5): `timestamp out of range` → 500. Branch edges (cursors decoded into bounded values).
    name: 'list cursor holding an instant outside years 0000-9999',
    matches: req => req.query.some(([k, v]) => {
      const t = cursorInstant(v)
      return k === 'cursor' && typeof t === 'number' && (t < YEAR_0 || t >= YEAR_10000)
    })
  },
  {
    // issue 10 (2-4): accepted (200) on main, so no assertion here fails on them; branch plausible
    // answers 422 or books an estimate, and then nothing may be stored when it refuses.
    name: 'implausible agent or webhook report',
    matches: req => {
      if (req.body === undefined || !('json' in req.body)) return false
      const body = req.body.json as Record<string, unknown> | null
      if (body === null || typeof body !== 'object') return false
      const instants = [body.at, body.startedAt, body.finishedAt].filter(t => typeof t === 'string').map(t => Date.parse(t as string))
      const energy = body.energyKwh
      return (req.operationId === 'agentComplete' || req.operationId === 'agentHeartbeat' || req.operationId === 'webhookCallback') &&
        (instants.some(t => !(Math.abs(t - NOW) < HOUR)) || (typeof energy === 'number' && energy > 100))
    }
  }
]

/** The name of the known bug `req` runs into, or undefined. */
export function knownIssue (req: FuzzRequest): string | undefined {
  return KNOWN.find(k => k.matches(req))?.name
}

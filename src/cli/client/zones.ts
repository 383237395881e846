import { parseArgs } from 'node:util'
import { COMMON, endpointOf, parsed, type ClientIo } from './args.js'
import type { ZoneBody } from './api-types.js'
import { age, jsonText, table } from './format.js'
import { callJson } from './http.js'
import { utc } from './time.js'

export const ZONES_USAGE = `usage: greenshift zones [--json]

Each grid zone (GET /v1/zones): its primary provider and signal, its pools, how old its newest
forecast is and where it ends, and the last error any provider in its chain gave.
`

/** The newest error a zone's forecast or any provider in its chain reported, or a dash. */
export function lastError (z: ZoneBody): string {
  if (z.forecast.lastError !== null) return z.forecast.lastError
  const failed = z.chain.filter(m => m.lastError !== null).sort((a, b) => (b.lastErrorAt ?? '').localeCompare(a.lastErrorAt ?? ''))[0]
  return failed === undefined ? '–' : `${failed.provider}: ${failed.lastError ?? ''}`
}

/** The zones as a table. */
export function zonesText (zones: readonly ZoneBody[]): string {
  if (zones.length === 0) return 'no zones configured\n'
  return table([
    ['ZONE', 'PROVIDER', 'SIGNAL', 'POOLS', 'FORECAST AGE', 'HORIZON END', 'ANSWERED BY', 'LAST ERROR'],
    ...zones.map(z => [
      z.name,
      z.chain.length > 1 ? z.chain.map(m => m.provider).join(' → ') : z.provider,
      z.signal,
      z.pools.join(',') || '–',
      z.forecast.ageSeconds === null ? 'none yet' : age(z.forecast.ageSeconds),
      z.forecast.horizonEnd === null ? '–' : utc(z.forecast.horizonEnd),
      z.forecast.answeredBy ?? '–',
      lastError(z)
    ])
  ])
}

/** `greenshift zones`. */
export async function zonesCommand (args: string[], env: NodeJS.ProcessEnv, io: ClientIo): Promise<number> {
  const { values } = parsed('zones', () => parseArgs({ args, options: COMMON, strict: true, allowPositionals: false }))
  if (values.help) {
    io.out(ZONES_USAGE)
    return 0
  }
  const { json } = await callJson<ZoneBody[]>(endpointOf(values, env), 'GET', '/v1/zones')
  io.out(values.json ? jsonText(json) : zonesText(json))
  return 0
}

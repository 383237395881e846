import type { ExecutorSpec, MarketFactor, Pool } from './core/types.js'
import type { JsonChecker, NumberRule } from './providers/json-check.js'
import { secretEnv, type SpecContext } from './providers/zone-spec.js'

// The `pools` of the configuration file: each pool's fields and its executor spec, checked.

const POSITIVE_INT: NumberRule = { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true, rule: 'must be a positive integer' }
// Largest GPU boards draw about 1 kW (GB200 ~1.2 kW); 5 kW leaves room for per-node accounting.
const WATTS: NumberRule = { min: 1, max: 5000, integer: false, rule: 'must be a number from 1 to 5000' }
// PUE below 1 is impossible; above 3 is a typo or a very old site.
const PUE: NumberRule = { min: 1, max: 3, integer: false, rule: 'must be a number from 1 to 3' }
const POOL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/
const POOL_KEYS = [
  'name', 'zone', 'gpuModel', 'gpuCount', 'wattsPerGpu', 'pue', 'executor', 'enabled', 'embodiedGPerGpuHour', 'hostWattsPerGpu', 'idleWattsPerGpu', 'market'
]
const EXECUTOR_KEYS = { agent: ['kind'], webhook: ['kind', 'url', 'secretEnv'], slurm: ['kind', 'url', 'partition', 'user', 'tokenEnv'] }
// A 8-GPU server's manufacture is a few tonnes CO2e over ~5 years: tens of g per GPU-hour.
const EMBODIED: NumberRule = { min: 0, max: 100_000, integer: false, rule: 'must be a number from 0 to 100000' }
// A GPU server's host (CPUs, RAM, NICs) draws a few hundred W per GPU; an idle GPU tens of W. 2 kW per GPU is a typo.
const HOST_WATTS: NumberRule = { min: 0, max: 2000, integer: false, rule: 'must be a number from 0 to 2000' }
// The dirtiest grids average about 1,000 gCO2e/kWh; 5,000 leaves room for any residual mix.
const MARKET_G_PER_KWH: NumberRule = { min: 0, max: 5000, integer: false, rule: 'must be a number from 0 to 5000' }
const MARKET_KEYS = ['gPerKwh', 'instrument', 'kind']
const MARKET_KINDS = ['contract', 'residual-mix'] as const

/** The file's `pools`, each checked; every problem is recorded in `c`, naming its path. `zones` is undefined when the zones themselves are unusable. */
export function parsePools (c: JsonChecker, raw: unknown, zones: ReadonlySet<string> | undefined, ctx: SpecContext): Pool[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    c.fail('pools', 'must be a non-empty array')
    return []
  }
  const seen = new Map<string, number>()
  return raw.flatMap((value: unknown, i) => {
    const path = `pools[${i}]`
    const o = c.object(value, path, POOL_KEYS)
    if (o === undefined) return []
    const name = c.text(o, 'name', path)
    if (name !== '' && !POOL_NAME.test(name)) c.fail(`${path}.name`, `"${name}" must match ${POOL_NAME.source}`)
    const first = name === '' ? undefined : seen.get(name)
    if (first !== undefined) c.fail(`${path}.name`, `"${name}" is already used by pools[${first}]`)
    else seen.set(name, i)
    const zone = c.text(o, 'zone', path)
    if (zone !== '' && zones !== undefined && !zones.has(zone)) c.fail(`${path}.zone`, `"${zone}" is not defined in zones`)
    if (o.enabled !== undefined && typeof o.enabled !== 'boolean') c.fail(`${path}.enabled`, 'must be true or false')
    return [{
      name,
      zone,
      gpuModel: c.text(o, 'gpuModel', path),
      gpuCount: c.number(o, 'gpuCount', path, POSITIVE_INT),
      wattsPerGpu: c.number(o, 'wattsPerGpu', path, WATTS),
      pue: c.number(o, 'pue', path, PUE),
      executor: parseExecutor(c, o.executor, `${path}.executor`, ctx),
      enabled: o.enabled !== false,
      embodiedGPerGpuHour: o.embodiedGPerGpuHour === undefined ? null : c.number(o, 'embodiedGPerGpuHour', path, EMBODIED),
      hostWattsPerGpu: c.number(o, 'hostWattsPerGpu', path, HOST_WATTS, 0),
      idleWattsPerGpu: c.number(o, 'idleWattsPerGpu', path, HOST_WATTS, 0),
      market: parseMarket(c, o.market, `${path}.market`)
    }]
  })
}

/** A pool's market-based factor; absent or null: none. `kind` defaults to `contract`. */
function parseMarket (c: JsonChecker, raw: unknown, path: string): MarketFactor | null {
  if (raw === undefined || raw === null) return null
  const o = c.object(raw, path, MARKET_KEYS)
  if (o === undefined) return null
  const instrument = c.text(o, 'instrument', path)
  if (instrument.length > 200) c.fail(`${path}.instrument`, 'must be at most 200 characters')
  const kind = o.kind === undefined ? 'contract' : c.choice(o, 'kind', path, MARKET_KINDS) ?? 'contract'
  return { gPerKwh: c.number(o, 'gPerKwh', path, MARKET_G_PER_KWH), instrument, kind }
}

function parseExecutor (c: JsonChecker, raw: unknown, path: string, ctx: SpecContext): ExecutorSpec {
  const o = c.object(raw, path)
  const kind = o && c.choice(o, 'kind', path, ['agent', 'webhook', 'slurm'] as const)
  if (o === undefined || kind === undefined) return { kind: 'agent' }
  c.object(o, path, EXECUTOR_KEYS[kind])
  // The secret's variable must be set at start-up; its value joins `secrets`, the spec keeps the name.
  const env = (key: string) => o[key] === undefined ? (c.text(o, key, path), '') : secretEnv(c, o, key, path, '', ctx)
  if (kind === 'webhook') return { kind, url: c.url(o, 'url', path), secretEnv: env('secretEnv') }
  if (kind === 'slurm') {
    return { kind, url: c.url(o, 'url', path), partition: c.text(o, 'partition', path), user: c.text(o, 'user', path), tokenEnv: env('tokenEnv') }
  }
  return { kind }
}

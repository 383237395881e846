import { basename, resolve } from 'node:path'
import { inspect } from 'node:util'
import type { FactorType, Gas, Signal } from '../core/types.js'
import type { JsonChecker, JsonObject, NumberRule } from './json-check.js'
import { configuredLabels } from './provider.js'
import { REPLAY_DATASET, REPLAY_REGIONS } from './replay.js'

/** Every provider id a zone may name; operators and tests rely on these exact strings. */
export const PROVIDER_IDS = ['electricitymaps', 'watttime', 'carbonintensity-uk', 'energidataservice', 'carbon-aware-sdk', 'csv', 'replay'] as const
export type ProviderId = typeof PROVIDER_IDS[number]

/** A zone served by the shipped 2022 replay. */
export interface ReplaySpec { readonly provider: 'replay', readonly dataset: typeof REPLAY_DATASET, readonly region: string, readonly horizonHours: number }
/** What a source's values count and cover, when the source cannot say: stated in the config, else the defaults of its signal. */
export interface LabelSpec { readonly gas: Gas, readonly factorType: FactorType }
/** A zone served by a local `start_utc,g_per_kwh` file (path absolute). */
export interface CsvSpec extends LabelSpec { readonly provider: 'csv', readonly path: string, readonly signal: Signal }

/** One provider of a chain, validated, defaults filled. Secrets appear only as variable names. */
export type ProviderEntry =
  | { readonly provider: 'electricitymaps', readonly region: string, readonly emissionFactorType: 'lifecycle' | 'direct', readonly tokenEnv: string, readonly baseUrl?: string }
  | { readonly provider: 'watttime', readonly region: string, readonly signalType: 'co2_moer' | 'co2_aoer', readonly usernameEnv: string, readonly passwordEnv: string, readonly baseUrl?: string }
  | { readonly provider: 'carbonintensity-uk', readonly region: string, readonly baseUrl?: string }
  | { readonly provider: 'energidataservice', readonly region: 'DK1' | 'DK2', readonly baseUrl?: string }
  | LabelSpec & { readonly provider: 'carbon-aware-sdk', readonly region: string, readonly baseUrl: string, readonly signal: Signal }
  | CsvSpec
  | ReplaySpec

/** An ordered fallback chain: the first provider that answers fully wins. */
export interface ChainSpec { readonly providers: readonly ProviderEntry[], readonly refreshMinutes: number }

/** Where one zone's intensity comes from: the foundation's one-provider shorthand, or a chain. */
export type ZoneSpec = ReplaySpec | CsvSpec | ChainSpec

/** Secret values read from the environment, by variable name; prints and serialises as names only. */
export class Secrets {
  readonly #values: ReadonlyMap<string, string>

  constructor (values: ReadonlyMap<string, string> = new Map()) {
    this.#values = new Map(values)
  }

  get (name: string): string | undefined {
    return this.#values.get(name)
  }

  names (): string[] {
    return [...this.#values.keys()]
  }

  toJSON (): { names: string[] } {
    return { names: this.names() }
  }

  [inspect.custom] (): string {
    return `Secrets { ${this.names().join(', ')} }`
  }
}

/** What parsing a zone needs besides the JSON: where relative paths start, and the environment. */
export interface SpecContext {
  baseDir: string
  /** An environment variable, trimmed; undefined when unset or blank. */
  env: (name: string) => string | undefined
  /** Receives every secret a zone names, by variable name. */
  secrets: Map<string, string>
}

// Electricity Maps and WattTime forecast 24–72 h ahead; a replay may pretend to reach a year (8,760 h).
const HORIZON: NumberRule = { min: 1, max: 8760, integer: true, rule: 'must be an integer from 1 to 8760' }
// Providers publish every 5–60 min; faster than 5 min only burns quota (EDS allows 40 calls), slower than a day is stale.
const REFRESH: NumberRule = { min: 5, max: 1440, integer: true, rule: 'must be an integer from 5 to 1440' }
/** More than 8 providers in one chain is a configuration mistake, and a slow one during an outage. */
const MAX_CHAIN = 8
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** UK Carbon Intensity regions: national, region ids 1–17, or a postcode's outward code (e.g. BS7, RG10). */
const UK_REGION = /^(national|[1-9]|1[0-7]|[A-Za-z]{1,2}[0-9][A-Za-z0-9]?)$/

const ENTRY_KEYS: Record<ProviderId, readonly string[]> = {
  electricitymaps: ['provider', 'region', 'baseUrl', 'emissionFactorType', 'tokenEnv'],
  watttime: ['provider', 'region', 'baseUrl', 'signalType', 'usernameEnv', 'passwordEnv'],
  'carbonintensity-uk': ['provider', 'region', 'baseUrl'],
  energidataservice: ['provider', 'region', 'baseUrl'],
  'carbon-aware-sdk': ['provider', 'region', 'baseUrl', 'signal', 'gas', 'factorType'],
  csv: ['provider', 'path', 'signal', 'gas', 'factorType'],
  replay: ['provider', 'dataset', 'region', 'horizonHours']
}

/** Whether a zone's spec is a chain (as opposed to the one-provider shorthand). */
export function isChain (spec: ZoneSpec): spec is ChainSpec {
  return 'providers' in spec
}

/** The region a provider entry serves, as `GET /v1/zones` shows it (a csv file: its name). */
export function regionOf (entry: ProviderEntry): string {
  return entry.provider === 'csv' ? basename(entry.path) : entry.region
}

/**
 * Validates one `zones.<name>` entry of the config file: `{ "providers": [...], "refreshMinutes" }`
 * or the shorthand `{ "provider": "replay" | "csv", ... }`. Problems go to `c`, each naming its path;
 * secrets named by the zone are looked up in `ctx.env` and collected in `ctx.secrets`. Returns
 * undefined when the entry is unusable.
 */
export function parseZoneSpec (c: JsonChecker, value: unknown, path: string, name: string, ctx: SpecContext): ZoneSpec | undefined {
  const o = c.object(value, path)
  if (o === undefined) return undefined
  if ('providers' in o) return parseChain(c, o, path, name, ctx)
  if (typeof o.provider === 'string' && PROVIDER_IDS.some(id => id === o.provider) && o.provider !== 'replay' && o.provider !== 'csv') {
    c.fail(`${path}.provider`, `"${o.provider}" must be written as a chain: { "providers": [{ "provider": "${o.provider}", ... }] }`)
    return undefined
  }
  const provider = c.choice(o, 'provider', path, ['replay', 'csv'] as const)
  if (provider === undefined) return undefined
  c.object(o, path, ENTRY_KEYS[provider])
  return provider === 'csv' ? parseCsv(c, o, path, ctx) : parseReplay(c, o, path, name)
}

function parseChain (c: JsonChecker, o: JsonObject, path: string, zone: string, ctx: SpecContext): ChainSpec | undefined {
  c.object(o, path, ['providers', 'refreshMinutes'])
  const refreshMinutes = c.number(o, 'refreshMinutes', path, REFRESH, 30)
  const list = o.providers
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CHAIN) {
    c.fail(`${path}.providers`, `must be an array of 1 to ${MAX_CHAIN} providers`)
    return undefined
  }
  const providers = list.flatMap((value: unknown, i) => parseEntry(c, value, `${path}.providers[${i}]`, zone, ctx) ?? [])
  return providers.length === list.length ? { providers, refreshMinutes } : undefined
}

function parseEntry (c: JsonChecker, value: unknown, path: string, zone: string, ctx: SpecContext): ProviderEntry | undefined {
  const o = c.object(value, path)
  const provider = o && c.choice(o, 'provider', path, PROVIDER_IDS)
  if (o === undefined || provider === undefined) return undefined
  c.object(o, path, ENTRY_KEYS[provider])
  const region = (fallback?: string) => o.region === undefined && fallback !== undefined ? fallback : c.text(o, 'region', path)
  const baseUrl = o.baseUrl === undefined ? {} : { baseUrl: c.url(o, 'baseUrl', path) }
  switch (provider) {
    case 'electricitymaps': return {
      provider, region: region(zone), emissionFactorType: optionalChoice(c, o, 'emissionFactorType', path, ['lifecycle', 'direct'] as const) ?? 'lifecycle',
      tokenEnv: secretEnv(c, o, 'tokenEnv', path, 'ELECTRICITYMAPS_TOKEN', ctx), ...baseUrl
    }
    case 'watttime': return {
      provider, region: region(), signalType: optionalChoice(c, o, 'signalType', path, ['co2_moer', 'co2_aoer'] as const) ?? 'co2_moer',
      usernameEnv: secretEnv(c, o, 'usernameEnv', path, 'WATTTIME_USERNAME', ctx),
      passwordEnv: secretEnv(c, o, 'passwordEnv', path, 'WATTTIME_PASSWORD', ctx),
      ...baseUrl
    }
    case 'carbonintensity-uk': {
      const r = region('national')
      if (r !== '' && !UK_REGION.test(r)) c.fail(`${path}.region`, `"${r}" must be "national", a region id from 1 to 17, or a postcode's outward code such as "BS7"`)
      return { provider, region: r, ...baseUrl }
    }
    case 'energidataservice': return { provider, region: c.choice(o, 'region', path, ['DK1', 'DK2'] as const) ?? 'DK1', ...baseUrl }
    case 'carbon-aware-sdk': {
      const signal = optionalChoice(c, o, 'signal', path, ['average', 'marginal'] as const) ?? 'average'
      return { provider, region: region(), baseUrl: c.url(o, 'baseUrl', path), signal, ...parseLabels(c, o, path, signal) }
    }
    case 'csv': return parseCsv(c, o, path, ctx)
    case 'replay': return parseReplay(c, o, path, zone)
  }
}

function parseCsv (c: JsonChecker, o: JsonObject, path: string, ctx: SpecContext): CsvSpec {
  const file = c.text(o, 'path', path)
  const signal = c.choice(o, 'signal', path, ['average', 'marginal'] as const) ?? 'average'
  return { provider: 'csv', path: resolve(ctx.baseDir, file), signal, ...parseLabels(c, o, path, signal) }
}

/**
 * `gas` and `factorType` of a source that cannot state them (a csv file, the Carbon Aware SDK),
 * defaulting by signal (see `labelsOf`). A marginal signal's factor is the marginal plant's, and an
 * average signal's never is: any other pairing is refused, naming `factorType`.
 */
function parseLabels (c: JsonChecker, o: JsonObject, path: string, signal: Signal): LabelSpec {
  const gas = optionalChoice(c, o, 'gas', path, ['co2', 'co2e'] as const)
  const factorType = optionalChoice(c, o, 'factorType', path, ['lifecycle', 'direct', 'marginal'] as const)
  if (factorType !== undefined && (factorType === 'marginal') !== (signal === 'marginal')) {
    const allowed = signal === 'marginal' ? '"marginal"' : '"lifecycle" or "direct"'
    c.fail(`${path}.factorType`, `"${factorType}" does not fit the ${signal} signal: use ${allowed}`)
  }
  const labels = configuredLabels(signal, gas, factorType)
  return { gas: labels.gas, factorType: labels.factorType }
}

/** `dataset` must be 'zones-2022'; `region` defaults to the zone name and must be a shipped file. */
function parseReplay (c: JsonChecker, o: JsonObject, path: string, zone: string): ReplaySpec {
  c.choice(o, 'dataset', path, [REPLAY_DATASET])
  const region = o.region === undefined ? zone : c.text(o, 'region', path)
  if (!REPLAY_REGIONS.includes(region)) {
    c.fail(o.region === undefined ? path : `${path}.region`, `"${region}" is not in dataset ${REPLAY_DATASET} (shipped: ${REPLAY_REGIONS.join(', ')})`)
  }
  return { provider: 'replay', dataset: REPLAY_DATASET, region, horizonHours: c.number(o, 'horizonHours', path, HORIZON, 48) }
}

function optionalChoice<T extends string> (c: JsonChecker, o: JsonObject, key: string, path: string, options: readonly T[]): T | undefined {
  return o[key] === undefined ? undefined : c.choice(o, key, path, options)
}

/**
 * The name of the variable holding a secret (`fallback` unless the entry overrides it), checked to
 * be set. The value goes to `ctx.secrets` only: messages name the variable, never its value.
 */
export function secretEnv (c: JsonChecker, o: JsonObject, key: string, path: string, fallback: string, ctx: SpecContext): string {
  const name = o[key] === undefined ? fallback : c.text(o, key, path)
  if (name === '') return name
  if (!ENV_NAME.test(name)) {
    c.fail(`${path}.${key}`, `"${name}" is not an environment variable name (letters, digits and "_", not starting with a digit)`)
    return name
  }
  const value = ctx.env(name)
  if (value === undefined) c.fail(path, `needs the environment variable ${name}, which is not set`)
  else ctx.secrets.set(name, value)
  return name
}

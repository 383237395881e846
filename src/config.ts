import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Pool } from './core/types.js'
import type { IntensityProvider } from './providers/provider.js'
import { JsonChecker, type NumberRule } from './providers/json-check.js'
import { providersFor, type ProviderDeps } from './providers/registry.js'
import { REPLAY_DATASET } from './providers/replay.js'
import { envInteger, httpLimits, type HttpLimits } from './config-limits.js'
import { parsePools } from './config-pools.js'
import { parseZoneSpec, Secrets, type SpecContext, type ZoneSpec } from './providers/zone-spec.js'

/** pino's levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

/** Where a zone's intensity comes from (shorthand or chain), defaults filled in, csv paths absolute. */
export type ZoneConfig = ZoneSpec
export type { HttpLimits } from './config-limits.js'

/** Planner settings. */
export interface PlanningConfig {
  /** Slack kept between a job's planned end and its deadline, minutes. */
  readonly safetyMarginMinutes: number
  /** How far ahead forecasts are fetched and planned, hours. */
  readonly forecastHorizonHours: number
  /** Stored intensity (forecasts and actuals) ending longer ago than this is pruned, days. */
  readonly retentionDays: number
  /** Hysteresis of re-planning: a planned job moves only if it saves more than this many grams CO2e… */
  readonly replanMinGrams: number
  /** …and more than this % of its current expected emissions. */
  readonly replanMinPercent: number
}

/** The validated, frozen configuration of one greenshift process. */
export interface Config {
  readonly port: number
  readonly host: string
  /** PostgreSQL URL; when unset the embedded PGlite in `dataDir` is used. */
  readonly databaseUrl?: string
  /** PGlite directory, or 'memory://' for an in-memory database. */
  readonly dataDir: string
  /** The GREENSHIFT_CONFIG file, or undefined when the built-in default is in use. */
  readonly configPath?: string
  readonly adminKey?: string
  readonly logLevel: LogLevel
  /** Interval of the scheduler loop, ms (GREENSHIFT_TICK_MS, or GREENSHIFT_TICK_SECONDS × 1000). */
  readonly tickMs: number
  /** Whether this process runs the scheduler loop (GREENSHIFT_SCHEDULER=off serves the API only). */
  readonly scheduler: boolean
  /** The scheduler lease, ms (GREENSHIFT_LEASE_SECONDS); undefined: three ticks and at least a minute. */
  readonly leaseMs?: number
  /** The URL executors call back on (webhook receivers), without a trailing slash. */
  readonly publicUrl: string
  /** An agent silent for this long has lost its job, which goes back to planning, seconds. */
  readonly agentTimeoutSeconds: number
  /** A tenant's cap on queued (pending and planned) jobs, unless the tenant has its own (GREENSHIFT_MAX_QUEUED_JOBS). */
  readonly maxQueuedJobs: number
  /** Request timeouts and the per-caller rate limit of the HTTP edge. */
  readonly limits: HttpLimits
  /** Zone name → provider settings, in file order. */
  readonly zones: Readonly<Record<string, ZoneConfig>>
  readonly pools: Pool[]
  readonly planning: PlanningConfig
  /** Provider secrets the zones name (e.g. ELECTRICITYMAPS_TOKEN), from the environment; print as names only. */
  readonly secrets: Secrets
}

/** Invalid environment or config file; `issues` lists every problem, each naming its variable or path. */
export class ConfigError extends Error {
  readonly code = 'invalid-config'
  readonly issues: readonly string[]

  constructor (issues: readonly string[]) {
    super(issues.join('; '))
    this.name = 'ConfigError'
    this.issues = issues
  }
}

const replay = { provider: 'replay', dataset: REPLAY_DATASET }
const agentPool = (name: string, zone: string, gpuModel: string, gpuCount: number, wattsPerGpu: number, pue: number) =>
  ({ name, zone, gpuModel, gpuCount, wattsPerGpu, pue, executor: { kind: 'agent' } })

/**
 * The configuration used when GREENSHIFT_CONFIG is unset: replayed 2022 grids and six pools in six
 * zones. 2022 means span 23 g/kWh (SE-SE3) and 99 (FR) to 482 (DE) and 819 (PL), and DE alone ranges
 * 170–765 over the year, so a job preferring DE can gain by moving in time and in region.
 * Power: H100 SXM 700 W, A100 SXM 400 W, L40S 350 W (vendor board powers).
 */
export const DEFAULT_CONFIG_JSON = JSON.stringify({
  zones: { DE: replay, FR: replay, GB: replay, PL: replay, 'SE-SE3': replay, ES: replay, 'US-CAL-CISO': replay },
  pools: [
    agentPool('h100-de', 'DE', 'H100-SXM5-80GB', 32, 700, 1.2),
    agentPool('a100-fr', 'FR', 'A100-SXM4-80GB', 64, 400, 1.3),
    agentPool('a100-gb', 'GB', 'A100-SXM4-80GB', 48, 400, 1.25),
    agentPool('l40s-pl', 'PL', 'L40S', 24, 350, 1.4),
    agentPool('h100-se', 'SE-SE3', 'H100-SXM5-80GB', 16, 700, 1.1),
    agentPool('a100-us', 'US-CAL-CISO', 'A100-SXM4-80GB', 64, 400, 1.3)
  ],
  planning: { safetyMarginMinutes: 10, forecastHorizonHours: 48, retentionDays: 14 }
}, null, 2)

/** The part of `fs.readFileSync` that `loadConfig` uses. */
export type ReadTextFile = (path: string, encoding: 'utf8') => string

/**
 * Reads the environment and the GREENSHIFT_CONFIG file (or the built-in default) into a frozen
 * Config. Empty variables count as unset. Throws `ConfigError` listing every problem.
 */
export function loadConfig (env: NodeJS.ProcessEnv, readFile: ReadTextFile = readFileSync): Config {
  const get = (name: string): string | undefined => env[name]?.trim() || undefined
  const issues: string[] = []
  const configPath = get('GREENSHIFT_CONFIG')
  const secrets = new Map<string, string>()
  const ctx = (baseDir: string): SpecContext => ({ baseDir, env: get, secrets })
  const file = configPath === undefined
    ? parseFile(JSON.parse(DEFAULT_CONFIG_JSON), new JsonChecker('built-in default config', issues), ctx(process.cwd()))
    : readConfigFile(configPath, readFile, issues, ctx) ?? EMPTY_FILE
  const config: Config = {
    port: envInteger(issues, 'PORT', get('PORT'), 8080, 0, 65_535),
    host: get('HOST') ?? '0.0.0.0',
    databaseUrl: envMatch(issues, 'DATABASE_URL', get('DATABASE_URL'), /^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL'),
    dataDir: get('GREENSHIFT_DATA_DIR') ?? './.greenshift',
    configPath,
    // Never echo the key: it would land in logs.
    adminKey: envMatch(issues, 'GREENSHIFT_ADMIN_KEY', get('GREENSHIFT_ADMIN_KEY'), /^gs_[A-Za-z0-9_-]{24,}$/, 'must be "gs_" followed by at least 24 letters, digits, "_" or "-"'),
    logLevel: envLogLevel(issues, get('LOG_LEVEL')),
    // 100 ms to a day: a tick is one scheduler pass (refresh, re-plan, plan, dispatch, collect).
    tickMs: get('GREENSHIFT_TICK_MS') !== undefined
      ? envInteger(issues, 'GREENSHIFT_TICK_MS', get('GREENSHIFT_TICK_MS'), 5000, 100, 86_400_000)
      : envInteger(issues, 'GREENSHIFT_TICK_SECONDS', get('GREENSHIFT_TICK_SECONDS'), 5, 1, 86_400) * 1000,
    scheduler: envChoice(issues, 'GREENSHIFT_SCHEDULER', get('GREENSHIFT_SCHEDULER'), ['on', 'off'], 'on') === 'on',
    leaseMs: leaseSetting(issues, get),
    publicUrl: (envMatch(issues, 'GREENSHIFT_PUBLIC_URL', get('GREENSHIFT_PUBLIC_URL'), /^https?:\/\/[^\s/]+(\/\S*)?$/, 'must be an http:// or https:// URL') ??
      `http://127.0.0.1:${get('PORT') ?? 8080}`).replace(/\/+$/, ''),
    // Agents beat every 15 s: four missed beats is a lost agent, not a slow network.
    agentTimeoutSeconds: envInteger(issues, 'GREENSHIFT_AGENT_TIMEOUT_SECONDS', get('GREENSHIFT_AGENT_TIMEOUT_SECONDS'), 60, 10, 86_400),
    // Every queued job is re-planned each tick: the cap bounds one tenant's share of that work.
    maxQueuedJobs: envInteger(issues, 'GREENSHIFT_MAX_QUEUED_JOBS', get('GREENSHIFT_MAX_QUEUED_JOBS'), 10_000, 1, 10_000_000),
    limits: httpLimits(issues, get),
    ...file,
    secrets: new Secrets(secrets)
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return deepFreeze(config)
}

/**
 * GREENSHIFT_LEASE_SECONDS: 5 s to an hour, and at least two ticks, or the leader would lose its
 * lease between two passes and the instances would take turns. A short lease makes failover fast
 * (a standby takes over within it) at the cost of one lease write per executor call.
 */
function leaseSetting (issues: string[], get: (name: string) => string | undefined): number | undefined {
  const text = get('GREENSHIFT_LEASE_SECONDS')
  if (text === undefined) return undefined
  const before = issues.length
  const ms = envInteger(issues, 'GREENSHIFT_LEASE_SECONDS', text, 60, 5, 3600) * 1000
  if (issues.length > before) return undefined
  const tickMs = Number(get('GREENSHIFT_TICK_MS') ?? Number(get('GREENSHIFT_TICK_SECONDS') ?? 5) * 1000)
  if (Number.isFinite(tickMs) && ms < 2 * tickMs) issues.push(`GREENSHIFT_LEASE_SECONDS must be at least two scheduler ticks (${Math.ceil(2 * tickMs / 1000)} s), got "${text}"`)
  return ms
}

function envChoice (issues: string[], name: string, text: string | undefined, choices: readonly string[], fallback: string): string {
  if (text === undefined) return fallback
  if (!choices.includes(text)) issues.push(`${name} must be one of ${choices.join(', ')}, got "${text}"`)
  return text
}

function envMatch (issues: string[], name: string, text: string | undefined, pattern: RegExp, rule: string): string | undefined {
  if (text !== undefined && !pattern.test(text)) issues.push(`${name} ${rule}`)
  return text
}

function envLogLevel (issues: string[], text: string | undefined): LogLevel {
  const level = LOG_LEVELS.find(l => l === (text ?? 'info'))
  if (level === undefined) issues.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${text}"`)
  return level ?? 'info'
}

type FileSettings = Pick<Config, 'zones' | 'pools' | 'planning'>
/** Stands in for a file that could not be read, whose problem is already recorded. */
const EMPTY_FILE: FileSettings = { zones: {}, pools: [], planning: { safetyMarginMinutes: 10, forecastHorizonHours: 48, retentionDays: 14, replanMinGrams: 50, replanMinPercent: 5 } }

function readConfigFile (path: string, readFile: ReadTextFile, issues: string[], ctx: (baseDir: string) => SpecContext): FileSettings | undefined {
  const prefix = `GREENSHIFT_CONFIG ${path}`
  let raw: unknown
  try {
    raw = JSON.parse(readFile(path, 'utf8').replace(/^\uFEFF/, ''))
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    issues.push(err instanceof SyntaxError ? `${prefix}: invalid JSON (${reason})` : `${prefix}: cannot read the file (${reason})`)
    return undefined
  }
  // Relative csv paths are relative to the file that names them, not to the working directory.
  return parseFile(raw, new JsonChecker(prefix, issues), ctx(dirname(resolve(path))))
}

const MARGIN: NumberRule = { min: 0, max: 1440, integer: false, rule: 'must be a number from 0 to 1440' }
// Planning further than 30 days (720 h) ahead would only price the fallback profile.
const HORIZON: NumberRule = { min: 1, max: 720, integer: true, rule: 'must be an integer from 1 to 720' }
// A week is the least that rebuilds a "same hour last week" profile; past 10 years the table only grows.
const RETENTION: NumberRule = { min: 7, max: 3650, integer: true, rule: 'must be an integer from 7 to 3650' }
// Moving a job for a few grams churns Slurm queues and event logs for nothing; 50 g ≈ 0.1 kWh on a dirty grid.
const REPLAN_GRAMS: NumberRule = { min: 0, max: 1_000_000, integer: false, rule: 'must be a number from 0 to 1000000' }
const REPLAN_PERCENT: NumberRule = { min: 0, max: 100, integer: false, rule: 'must be a number from 0 to 100' }
const ZONE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

function parseFile (raw: unknown, c: JsonChecker, ctx: SpecContext): FileSettings {
  const top = c.object(raw, 'config', ['zones', 'pools', 'planning']) ?? {}
  const { zones, names } = parseZones(c, top.zones, ctx)
  const pools = parsePools(c, top.pools, names && new Set(names), ctx)
  const planning = c.object(top.planning ?? {}, 'planning', ['safetyMarginMinutes', 'forecastHorizonHours', 'retentionDays', 'replanMinGrams', 'replanMinPercent']) ?? {}
  return {
    zones,
    pools,
    planning: {
      safetyMarginMinutes: c.number(planning, 'safetyMarginMinutes', 'planning', MARGIN, 10),
      forecastHorizonHours: c.number(planning, 'forecastHorizonHours', 'planning', HORIZON, 48),
      retentionDays: c.number(planning, 'retentionDays', 'planning', RETENTION, 14),
      replanMinGrams: c.number(planning, 'replanMinGrams', 'planning', REPLAN_GRAMS, 50),
      replanMinPercent: c.number(planning, 'replanMinPercent', 'planning', REPLAN_PERCENT, 5)
    }
  }
}

/**
 * Valid zones, and every zone name, so that a pool naming a broken zone gets no second error
 * (`names` is undefined when `zones` itself is unusable: pools' zones are then not checked).
 */
function parseZones (c: JsonChecker, raw: unknown, ctx: SpecContext): { zones: Record<string, ZoneConfig>, names?: string[] } {
  const zones: Record<string, ZoneConfig> = {}
  const names: string[] = []
  const o = c.object(raw, 'zones')
  if (o === undefined) return { zones }
  if (Object.keys(o).length === 0) c.fail('zones', 'must name at least one zone')
  for (const [name, value] of Object.entries(o)) {
    const path = `zones.${name}`
    names.push(name)
    if (!ZONE_NAME.test(name)) {
      c.fail(path, 'is not a valid zone name (letters, digits, "-" and "_", at most 64)')
      continue
    }
    const zone = parseZoneSpec(c, value, path, name, ctx)
    if (zone !== undefined) zones[name] = zone
  }
  return { zones, names }
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/** One provider per configured zone (a `ProviderChain` for chain zones), with the config's secrets; csv files are read here, once. */
export function buildProviders (config: Config, deps: ProviderDeps = {}): Map<string, IntensityProvider> {
  return providersFor(config.zones, { secrets: config.secrets, ...deps })
}

import type { Dispatcher } from 'undici'
import { CarbonAwareSdkProvider } from './carbon-aware-sdk.js'
import { CarbonIntensityUkProvider } from './carbonintensity-uk.js'
import { ProviderChain, type ChainMember } from './chain.js'
import { CsvProvider } from './csv.js'
import { ElectricityMapsProvider } from './electricitymaps.js'
import { EnergiDataServiceProvider } from './energidataservice.js'
import type { IntensityProvider } from './provider.js'
import { ReplayProvider } from './replay.js'
import { WattTimeProvider } from './watttime.js'
import { isChain, regionOf, type ChainSpec, type ProviderEntry, type ZoneSpec } from './zone-spec.js'

/** Secret values by environment variable name (the config's `Secrets`). */
export interface SecretSource {
  get: (name: string) => string | undefined
}

/** File access, secrets and HTTP for `providersFor`; tests inject them, defaults read the real files. */
export interface ProviderDeps {
  /** Reads a csv zone's file (bytes, or text as UTF-8); default `fs.readFileSync`. */
  loadCsv?: (path: string) => string | Uint8Array
  /** Directory holding `zones-2022/`; default `dataDir()`. */
  replayDir?: string
  /** Reads a replay file (bytes, or text as UTF-8); default `fs.promises.readFile`. */
  loadReplay?: (path: string) => Promise<string | Uint8Array>
  /** Where chain entries' tokens and passwords come from; default: none. */
  secrets?: SecretSource
  /** undici dispatcher for every HTTP provider (tests pass a MockAgent); default undici's global one. */
  dispatcher?: Dispatcher
}

/**
 * One provider per zone (zone name → provider), in the order given: the provider itself for a
 * shorthand zone, a `ProviderChain` for a chain zone. CSV files are read here, so a bad file fails at
 * startup with a `ProviderError`; replay files are read on first use; HTTP providers call nothing
 * until asked. Throws when a secret a chain names is not in `deps.secrets`.
 */
export function providersFor (zones: Readonly<Record<string, ZoneSpec>>, deps: ProviderDeps = {}): Map<string, IntensityProvider> {
  const providers = new Map<string, IntensityProvider>()
  for (const [zone, spec] of Object.entries(zones)) {
    providers.set(zone, isChain(spec) ? chainFor(zone, spec, deps) : memberFor(zone, spec, deps).provider)
  }
  return providers
}

function chainFor (zone: string, spec: ChainSpec, deps: ProviderDeps): ProviderChain {
  return new ProviderChain({ members: spec.providers.map(entry => memberFor(zone, entry, deps)) })
}

function secret (deps: ProviderDeps, name: string): string {
  const value = deps.secrets?.get(name)
  if (value === undefined) throw new Error(`the environment variable ${name} is not set`)
  return value
}

/** One configured provider, constructed; HTTP clients share `deps.dispatcher` when one is given. */
function memberFor (zone: string, entry: ProviderEntry, deps: ProviderDeps): ChainMember {
  const http = deps.dispatcher === undefined ? {} : { http: { dispatcher: deps.dispatcher } }
  const base = (url: string | undefined) => url === undefined ? {} : { baseUrl: url }
  const region = regionOf(entry)
  switch (entry.provider) {
    case 'electricitymaps': return {
      region,
      provider: new ElectricityMapsProvider({ region: entry.region, token: secret(deps, entry.tokenEnv), emissionFactorType: entry.emissionFactorType, ...base(entry.baseUrl), ...http })
    }
    case 'watttime': return {
      region,
      provider: new WattTimeProvider({
        region: entry.region, username: secret(deps, entry.usernameEnv), password: secret(deps, entry.passwordEnv), signalType: entry.signalType, ...base(entry.baseUrl), ...http
      })
    }
    case 'carbonintensity-uk': return { region, provider: new CarbonIntensityUkProvider({ region: entry.region, ...base(entry.baseUrl), ...http }) }
    case 'energidataservice': return { region, provider: new EnergiDataServiceProvider({ region: entry.region, ...base(entry.baseUrl), ...http }) }
    case 'carbon-aware-sdk': return {
      region,
      provider: new CarbonAwareSdkProvider({ region: entry.region, baseUrl: entry.baseUrl, signal: entry.signal, gas: entry.gas, factorType: entry.factorType, ...http })
    }
    case 'csv': return { region, provider: new CsvProvider({ zone, path: entry.path, signal: entry.signal, gas: entry.gas, factorType: entry.factorType, load: deps.loadCsv }) }
    case 'replay': return {
      region,
      provider: new ReplayProvider({ regions: { [zone]: entry.region }, horizonHours: entry.horizonHours, dir: deps.replayDir, load: deps.loadReplay })
    }
  }
}

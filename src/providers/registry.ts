import { resolve } from 'node:path'
import type { Signal } from '../core/types.js'
import { CsvProvider } from './csv.js'
import type { JsonChecker, NumberRule } from './json-check.js'
import type { IntensityProvider } from './provider.js'
import { REPLAY_DATASET, REPLAY_REGIONS, ReplayProvider } from './replay.js'

/** Where one zone's intensity comes from: validated config, defaults filled in, csv path absolute. */
export type ZoneSpec =
  | { readonly provider: 'replay', readonly dataset: typeof REPLAY_DATASET, readonly region: string, readonly horizonHours: number }
  | { readonly provider: 'csv', readonly path: string, readonly signal: Signal }

/** File access for `providersFor`, injected by tests; defaults read the real files. */
export interface ProviderDeps {
  /** Reads a csv zone's file; default `fs.readFileSync` as UTF-8. */
  loadCsv?: (path: string) => string
  /** Directory holding `zones-2022/`; default `dataDir()`. */
  replayDir?: string
  /** Reads a replay file; default `fs.promises.readFile` as UTF-8. */
  loadReplay?: (path: string) => Promise<string>
}

/**
 * One provider per zone (zone name → provider), in the order given. CSV files are read here, so a
 * bad file fails at startup with a `ProviderError`; replay files are read on first use.
 */
export function providersFor (zones: Readonly<Record<string, ZoneSpec>>, deps: ProviderDeps = {}): Map<string, IntensityProvider> {
  const providers = new Map<string, IntensityProvider>()
  for (const [zone, spec] of Object.entries(zones)) {
    providers.set(zone, spec.provider === 'csv'
      ? new CsvProvider({ zone, path: spec.path, signal: spec.signal, load: deps.loadCsv })
      : new ReplayProvider({ regions: { [zone]: spec.region }, horizonHours: spec.horizonHours, dir: deps.replayDir, load: deps.loadReplay }))
  }
  return providers
}

// Electricity Maps and WattTime forecast 24–72 h ahead; a replay may pretend to reach a year (8,760 h).
const HORIZON: NumberRule = { min: 1, max: 8760, integer: true, rule: 'must be an integer from 1 to 8760' }

/**
 * Validates one `zones.<name>` entry of the config file. `replay` reads `dataset` (must be
 * 'zones-2022'), optional `region` (default: the zone name, must be a shipped file) and optional
 * `horizonHours` (default 48); `csv` reads `path` (resolved against `baseDir`) and `signal`.
 * Problems go to `c`; returns undefined when the entry is unusable.
 */
export function parseZoneSpec (c: JsonChecker, value: unknown, path: string, name: string, baseDir: string): ZoneSpec | undefined {
  const o = c.object(value, path)
  const provider = o && c.choice(o, 'provider', path, ['replay', 'csv'] as const)
  if (o === undefined || provider === undefined) return undefined
  if (provider === 'csv') {
    c.object(o, path, ['provider', 'path', 'signal'])
    const file = c.text(o, 'path', path)
    return { provider, path: resolve(baseDir, file), signal: c.choice(o, 'signal', path, ['average', 'marginal'] as const) ?? 'average' }
  }
  c.object(o, path, ['provider', 'dataset', 'region', 'horizonHours'])
  c.choice(o, 'dataset', path, [REPLAY_DATASET])
  const region = o.region === undefined ? name : c.text(o, 'region', path)
  if (!REPLAY_REGIONS.includes(region)) {
    c.fail(o.region === undefined ? path : `${path}.region`, `"${region}" is not in dataset ${REPLAY_DATASET} (shipped: ${REPLAY_REGIONS.join(', ')})`)
  }
  return { provider, dataset: REPLAY_DATASET, region, horizonHours: c.number(o, 'horizonHours', path, HORIZON, 48) }
}

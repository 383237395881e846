import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { HOUR_MS, type FactorType, type Gas, type Instant, type IntensityPoint, type Series, type Signal } from '../core/types.js'
import { floorHour } from '../core/intervals.js'
import { packageRoot } from '../package-root.js'
import { parseIntensityCsv } from './csv.js'
import { checkRange, contentVersion, ProviderError, type IntensityProvider } from './provider.js'

/** The shipped dataset: Electricity Maps hourly life-cycle intensity for 2022 (data/zones-2022/README.md). */
export const REPLAY_DATASET = 'zones-2022'

/** Zones (file names without `.csv`) shipped in data/zones-2022/. */
export const REPLAY_REGIONS: readonly string[] = [
  'AU-NSW', 'DE', 'ES', 'FR', 'GB', 'IE', 'JP-TK', 'NL', 'NO-NO1', 'PL', 'SE-SE3',
  'US-CAL-CISO', 'US-MIDA-PJM', 'US-TEX-ERCO'
]

const DAY_MS = 24 * HOUR_MS
const WEEK_MS = 7 * DAY_MS
const YEAR_START = Date.UTC(2022, 0, 1)
const YEAR_END = Date.UTC(2023, 0, 1)
/** 2022 has 365 days = 8,760 hours; the files hold one row per hour. */
const YEAR_HOURS = 8760
/** 52 weeks = 364 days: the longest week-aligned step back that stays inside 2022. */
const WRAP_MS = 52 * WEEK_MS
/** Electricity Maps and WattTime forecast 24–72 h ahead; 48 h sits in the middle. */
const DEFAULT_HORIZON_HOURS = 48
const REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/

/** Whole weeks from 2022-01-01 to 1 January of `year`, rounded: that year's dates land within 3 days. */
function yearWeeks (year: number): number {
  return Math.round((Date.UTC(year, 0, 1) - YEAR_START) / WEEK_MS)
}

/**
 * Milliseconds to subtract from `t` to land on the same weekday and UTC hour in 2022, near the same
 * time of year. The shift is a whole number of weeks, fixed through a calendar year (starting when
 * that year's week-aligned image reaches 2022-01-01); when the image would run past the end of 2022
 * it wraps back 52 weeks. So consecutive hours map to consecutive hours except for one 364-day jump
 * around each new year (and a 7-day repeat about every 6 years, when the calendar drift reaches a
 * week). Because the shift depends only on `t`, forecasts and actuals agree for every hour.
 */
export function replayOffset (t: Instant): number {
  const year = new Date(t).getUTCFullYear()
  let offset = yearWeeks(year) * WEEK_MS
  // Early January whose image would fall in 2021: keep the previous year's shift until it catches up.
  if (t - offset < YEAR_START) offset = yearWeeks(year - 1) * WEEK_MS
  const over = t - offset - YEAR_END
  if (over >= 0) offset += (Math.floor(over / WRAP_MS) + 1) * WRAP_MS
  return offset
}

/** The package's `data/` directory (see `packageRoot`). */
export function dataDir (): string {
  return join(packageRoot(), 'data')
}

/** Options of `ReplayProvider`. */
export interface ReplayProviderOptions {
  /** Zone → file name in the dataset; a zone not listed reads the file named like itself. */
  regions?: Readonly<Record<string, string>>
  /** How far `forecast()` reaches past `from`, in hours; default 48. */
  horizonHours?: number
  /** Directory holding `zones-2022/`; default `dataDir()`. */
  dir?: string
  /** Reads a file (bytes, or text as UTF-8); default `fs.promises.readFile`. Injected for tests. */
  load?: (path: string) => Promise<string | Uint8Array>
}

/** A zone's file as loaded: its 8,760 hourly values and its content hash. */
interface ZoneFile {
  values: Float64Array
  version: string
}

/**
 * Replays the shipped 2022 hourly series as if it were live: the hour `t` gets the value of
 * `t - replayOffset(t)`, so weekday and daily patterns line up with the calendar. Points come back
 * in real time, hourly, clipped to the request; forecasts stop `horizonHours` after `from` like a
 * real provider's, actuals cover the whole range. Files are read on first use and cached per zone.
 * The dataset is Electricity Maps' life-cycle intensity (data/README.md), so every series is
 * co2e/lifecycle, versioned by the zone file's content hash.
 */
export class ReplayProvider implements IntensityProvider {
  readonly id = 'replay'
  readonly signal: Signal = 'average'
  readonly gas: Gas = 'co2e'
  readonly factorType: FactorType = 'lifecycle'
  readonly source = `replay:${REPLAY_DATASET}`
  readonly horizonHours: number
  private readonly regions: Readonly<Record<string, string>>
  private readonly dir: string | undefined
  private readonly load: (path: string) => Promise<string | Uint8Array>
  private readonly cache = new Map<string, Promise<ZoneFile>>()

  constructor (options: ReplayProviderOptions = {}) {
    this.regions = options.regions ?? {}
    this.horizonHours = options.horizonHours ?? DEFAULT_HORIZON_HOURS
    this.dir = options.dir
    this.load = options.load ?? (async path => await readFile(path))
  }

  async forecast (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    return this.series(zone, from, Math.min(to, from + this.horizonHours * HOUR_MS), signal)
  }

  async actuals (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    return this.series(zone, from, to, signal)
  }

  private async series (zone: string, from: Instant, to: Instant, signal: AbortSignal | undefined): Promise<Series> {
    signal?.throwIfAborted()
    checkRange(this.id, zone, from, to)
    const { values, version } = await this.file(zone)
    signal?.throwIfAborted()
    const points: IntensityPoint[] = []
    // `from < to` keeps an empty range empty instead of one zero-length point.
    for (let hour = floorHour(from); hour < to && from < to; hour += HOUR_MS) {
      // Offsets are whole weeks, so `index` is a whole hour of 2022 in [0, 8760).
      const gPerKwh = values[(hour - replayOffset(hour) - YEAR_START) / HOUR_MS] ?? Number.NaN
      points.push({ start: Math.max(hour, from), end: Math.min(hour + HOUR_MS, to), gPerKwh })
    }
    return { zone, signal: this.signal, gas: this.gas, factorType: this.factorType, source: this.source, version, points }
  }

  /** The zone's file, loaded once; a failed load is retried on the next call. */
  private file (zone: string): Promise<ZoneFile> {
    const cached = this.cache.get(zone)
    if (cached !== undefined) return cached
    const loading = this.read(zone)
    this.cache.set(zone, loading)
    loading.catch(() => this.cache.delete(zone))
    return loading
  }

  private async read (zone: string): Promise<ZoneFile> {
    const region = Object.hasOwn(this.regions, zone) ? this.regions[zone] ?? zone : zone
    const name = `${REPLAY_DATASET}/${region}.csv`
    if (!REGION_NAME.test(region)) {
      throw new ProviderError(this.id, zone, 'unknown-zone', `replay: "${region}" is not a file name in ${REPLAY_DATASET}`)
    }
    let bytes: string | Uint8Array
    try {
      bytes = await this.load(join(this.dir ?? dataDir(), REPLAY_DATASET, `${region}.csv`))
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
      const message = missing
        ? `replay: no file ${name} for zone ${zone} (shipped: ${REPLAY_REGIONS.join(', ')})`
        : `replay: cannot read ${name} for zone ${zone} (${err instanceof Error ? err.message : String(err)})`
      throw new ProviderError(this.id, zone, missing ? 'unknown-zone' : 'unavailable', message, { cause: err })
    }
    const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes)
    return { values: hourlyValues(this.id, zone, name, text), version: contentVersion(bytes) }
  }
}

/** Parses a dataset file and checks it holds exactly the 8,760 hours of 2022, in order. */
function hourlyValues (provider: string, zone: string, name: string, text: string): Float64Array {
  let points: IntensityPoint[]
  try {
    points = parseIntensityCsv(text, { name })
  } catch (err) {
    throw new ProviderError(provider, zone, 'bad-data', err instanceof Error ? err.message : String(err), { cause: err })
  }
  const hourly = points.length === YEAR_HOURS && points.every((p, i) => p.start === YEAR_START + i * HOUR_MS && p.end === p.start + HOUR_MS)
  if (!hourly) {
    throw new ProviderError(provider, zone, 'bad-data', `replay: ${name} must hold the ${YEAR_HOURS} hours of 2022 in order, one row each`)
  }
  return Float64Array.from(points, p => p.gPerKwh)
}

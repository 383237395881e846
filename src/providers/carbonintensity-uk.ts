import { HOUR_MS, MINUTE_MS, type FactorType, type Gas, type Instant, type IntensityPoint, type Series } from '../core/types.js'
import { ukErrorMessage, ukPeriods, type UkPeriod } from './carbonintensity-uk-parse.js'
import { clipPoints } from './csv.js'
import { DEFAULT_HTTP, safeUrl, sendJson, type HttpOptions } from './http.js'
import { checkRange, ProviderError, type IntensityProvider } from './provider.js'

const ID = 'carbonintensity-uk'
const HALF_HOUR_MS = 30 * MINUTE_MS
/** "The maximum date range is limited to 14 days" for `/intensity/{from}/{to}` (API docs). */
const MAX_RANGE_MS = 14 * 24 * HOUR_MS

/** Options of `CarbonIntensityUkProvider`. */
export interface CarbonIntensityUkOptions {
  /**
   * 'national', a region id '1'..'17' (API docs list), or a postcode: only its outward code is sent
   * ('RG10 9XX' → 'RG10'), because the API answers longer unknown strings with nothing at all.
   */
  region: string
  /** Default https://api.carbonintensity.org.uk; a proxy or a test server may stand in. */
  baseUrl?: string
  /** Merged over `DEFAULT_HTTP`. */
  http?: Partial<HttpOptions>
}

/** Which set of routes a configured region uses: national, `/regionid/{id}` or `/postcode/{outward}`. */
export type UkRegion =
  | { kind: 'national' }
  | { kind: 'regionid', id: string }
  | { kind: 'postcode', outward: string }

const OUTWARD = /^[A-Z]{1,2}\d[A-Z\d]?$/
const FULL_POSTCODE = /^([A-Z]{1,2}\d[A-Z\d]?)\d[A-Z]{2}$/

/** Reads a configured region; undefined when it is none of national, 1..17 or a UK postcode. */
export function parseUkRegion (region: string): UkRegion | undefined {
  const text = region.trim()
  if (text === 'national') return { kind: 'national' }
  if (/^\d{1,2}$/.test(text)) {
    const id = Number(text)
    return id >= 1 && id <= 17 ? { kind: 'regionid', id: String(id) } : undefined
  }
  const compact = text.toUpperCase().replace(/\s+/g, '')
  const outward = OUTWARD.test(compact) ? compact : FULL_POSTCODE.exec(compact)?.[1]
  return outward === undefined ? undefined : { kind: 'postcode', outward }
}

/**
 * Splits [from, to) into request ranges of at most 14 days that never span 1 January 00:00 UTC:
 * ranges across New Year return nothing after 31 December (api-definitions issue 12).
 */
export function ukChunks (from: Instant, to: Instant): Array<[Instant, Instant]> {
  const chunks: Array<[Instant, Instant]> = []
  for (let start = from; start < to;) {
    const newYear = Date.UTC(new Date(start).getUTCFullYear() + 1, 0, 1)
    const end = Math.min(start + MAX_RANGE_MS, newYear, to)
    chunks.push([start, end])
    start = end
  }
  return chunks
}

/** `YYYY-MM-DDThh:mmZ`, the path format the docs give. */
const apiTime = (t: Instant): string => new Date(t).toISOString().slice(0, 16) + 'Z'
const floorHalfHour = (t: Instant): Instant => Math.floor(t / HALF_HOUR_MS) * HALF_HOUR_MS
const ceilHalfHour = (t: Instant): Instant => Math.ceil(t / HALF_HOUR_MS) * HALF_HOUR_MS

/**
 * NESO's Carbon Intensity API for Great Britain: average, generation-based gCO2/kWh in 30-minute
 * periods, no auth. Forecasts come from `fw48h` (often shorter: the series may end early); actuals
 * from `{from}/{to}` in ≤ 14-day chunks, using `intensity.actual` where the API has one and
 * `intensity.forecast` otherwise (regional routes never carry `actual`, national ones fill it about
 * 30 minutes after each period). The source is `carbonintensity-uk:<region>` either way.
 */
export class CarbonIntensityUkProvider implements IntensityProvider {
  readonly id = ID
  readonly signal = 'average'
  /** gCO2/kWh of generation only (no life-cycle stages): CO2 alone, a direct factor. */
  readonly gas: Gas = 'co2'
  readonly factorType: FactorType = 'direct'
  readonly region: UkRegion
  readonly source: string
  private readonly baseUrl: string
  private readonly http: HttpOptions

  constructor (options: CarbonIntensityUkOptions) {
    const region = parseUkRegion(options.region)
    if (region === undefined) {
      throw new ProviderError(ID, options.region, 'unknown-zone', `${ID}: region "${options.region}" is not 'national', a region id 1..17 or a UK postcode`)
    }
    this.region = region
    this.source = `${ID}:${region.kind === 'national' ? 'national' : region.kind === 'regionid' ? region.id : region.outward}`
    this.baseUrl = (options.baseUrl ?? 'https://api.carbonintensity.org.uk').replace(/\/+$/, '')
    this.http = { ...DEFAULT_HTTP, ...options.http }
  }

  async forecast (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    checkRange(ID, zone, from, to)
    if (to <= from) return this.series(zone, [])
    // The first period returned is the one *ending* at {from}; clipping to [from, to) drops it.
    const periods = await this.get(zone, this.path(`${apiTime(floorHalfHour(from))}/fw48h`), signal)
    return this.series(zone, clipPoints(points(periods, p => p.forecast), from, to))
  }

  async actuals (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    checkRange(ID, zone, from, to)
    if (to <= from) return this.series(zone, [])
    const out: IntensityPoint[] = []
    // One chunk at a time: the API documents no rate limit, so do not fan out.
    for (const [start, end] of ukChunks(floorHalfHour(from), ceilHalfHour(to))) {
      const periods = await this.get(zone, this.path(`${apiTime(start)}/${apiTime(end)}`), signal)
      // Each chunk also returns the period ending at its start (the previous chunk's last one).
      out.push(...clipPoints(points(periods, p => p.actual ?? p.forecast), start, end))
    }
    return this.series(zone, clipPoints(out, from, to))
  }

  /** The route for `range` ('{from}/fw48h' or '{from}/{to}') in this region. */
  private path (range: string): string {
    switch (this.region.kind) {
      case 'national': return `/intensity/${range}`
      case 'regionid': return `/regional/intensity/${range}/regionid/${this.region.id}`
      case 'postcode': return `/regional/intensity/${range}/postcode/${this.region.outward}`
    }
  }

  private async get (zone: string, path: string, signal: AbortSignal | undefined): Promise<UkPeriod[]> {
    const url = new URL(this.baseUrl + path)
    const where = `${ID} (zone ${zone}) GET ${safeUrl(url)}`
    // 400s carry a useful message (e.g. a bad postcode); 5xx are retried by `send` and keep the body text.
    const res = await sendJson({ provider: ID, zone, url, signal, accept: [400] }, this.http)
    if (res.status === 400) throw new ProviderError(ID, zone, 'bad-data', `${where}: HTTP 400: ${ukErrorMessage(res.body)}`)
    return ukPeriods(res.body, this.region.kind !== 'national', detail => {
      throw new ProviderError(ID, zone, 'bad-data', `${where}: unexpected body: ${detail}`)
    })
  }

  private series (zone: string, pts: IntensityPoint[]): Series {
    return { zone, signal: this.signal, gas: this.gas, factorType: this.factorType, source: this.source, points: pts }
  }
}

/** Sorted, one point per start, skipping periods with no value yet. */
function points (periods: UkPeriod[], pick: (p: UkPeriod) => number | null): IntensityPoint[] {
  const byStart = new Map<Instant, IntensityPoint>()
  for (const p of periods) {
    const gPerKwh = pick(p)
    if (gPerKwh !== null) byStart.set(p.start, { start: p.start, end: p.end, gPerKwh })
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start)
}

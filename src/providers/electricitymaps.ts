import { HOUR_MS, MINUTE_MS, type Gas, type Instant, type IntensityPoint, type Series } from '../core/types.js'
import { floorHour } from '../core/intervals.js'
import { clipPoints } from './csv.js'
import { endpoint, sendJson, withDefaults, type HttpOptions } from './http.js'
import { checkRange, ProviderError, type IntensityProvider } from './provider.js'

const ID = 'electricitymaps'
/** `past-range` serves at most 10 days (240 h) of hourly data per call; longer ranges are chunked. */
const PAST_RANGE_MS = 240 * HOUR_MS
/** `history` holds 24 hourly points, the newest starting at the current hour: 23 h back from it. */
const HISTORY_BACK_MS = 23 * HOUR_MS
/** The forecast's default horizon is 24 h; longer ones are asked for as 48 or 72 h (the maximum). */
const DEFAULT_HORIZON_HOURS = 24
const LONGER_HORIZONS = [48, 72] as const
/** Point length by `temporalGranularity`; a body that does not say is hourly (the API's default). */
const GRANULARITY_MS: Readonly<Record<string, number>> = { '5_minutes': 5 * MINUTE_MS, '15_minutes': 15 * MINUTE_MS, hourly: HOUR_MS }
/** ISO 8601 with an explicit offset: a bare time would be read in the host's zone. */
const ZONED_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/

/** Options of `ElectricityMapsProvider`. */
export interface ElectricityMapsOptions {
  /** Electricity Maps zone key, e.g. 'DE', 'GB', 'US-CAL-CISO'. */
  region: string
  /** API token, sent only in the `auth-token` header. */
  token: string
  /** Life-cycle (default) or direct (operational only) emission factors. */
  emissionFactorType?: 'lifecycle' | 'direct'
  /** Default https://api.electricitymap.org; `/v3/...` is appended. */
  baseUrl?: string
  /** Merged over `DEFAULT_HTTP`. */
  http?: Partial<HttpOptions>
  /** Clock for the forecast horizon and for choosing `history` or `past-range`; default `Date.now`. */
  now?: () => number
}

type Envelope = 'forecast' | 'history' | 'data'

interface Sample { start: Instant, gPerKwh: number }

/**
 * Electricity Maps API v3: average, consumption-based intensity in gCO2eq/kWh (life-cycle or
 * direct). Forecasts from `carbon-intensity/forecast`; actuals from `history` when the range lies in
 * the last 24 hours (the free tier), else from `past-range` in chunks of at most 10 days. Every call
 * sends `shouldUseFallbackCallerLookup=false` so a wrong zone fails instead of silently answering for
 * the caller's IP, and a body naming another zone or emission factor is refused.
 */
export class ElectricityMapsProvider implements IntensityProvider {
  readonly id = ID
  readonly signal = 'average'
  /** gCO2eq/kWh: every greenhouse gas, as CO2-equivalents. */
  readonly gas: Gas = 'co2e'
  readonly region: string
  readonly emissionFactorType: 'lifecycle' | 'direct'
  /** The factor type of every series: the `emissionFactorType` asked for (a body stating another is refused). */
  readonly factorType: 'lifecycle' | 'direct'
  /** `electricitymaps:<region>:<emissionFactorType>`, e.g. `electricitymaps:DE:lifecycle`. */
  readonly source: string
  // A private field stays out of JSON.stringify and util.inspect, so logging the provider is safe.
  readonly #token: string
  private readonly baseUrl: string
  private readonly http: HttpOptions
  private readonly now: () => number

  constructor (o: ElectricityMapsOptions) {
    this.region = o.region
    this.#token = o.token
    this.emissionFactorType = o.emissionFactorType ?? 'lifecycle'
    this.factorType = this.emissionFactorType
    this.baseUrl = o.baseUrl ?? 'https://api.electricitymap.org'
    this.http = withDefaults(o.http)
    this.now = o.now ?? Date.now
    this.source = `${ID}:${this.region}:${this.emissionFactorType}`
  }

  /** Hourly forecast from the current hour; asks for 48 or 72 h only when `to` lies beyond 24 h. */
  async forecast (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    checkRange(ID, zone, from, to)
    if (to <= from) return this.series(zone, [])
    const hours = Math.ceil((to - this.now()) / HOUR_MS)
    const horizon = LONGER_HORIZONS.find(h => h >= hours) ?? LONGER_HORIZONS[1]
    const params: Record<string, string> = hours > DEFAULT_HORIZON_HOURS ? { horizonHours: String(horizon) } : {}
    const body = await this.get(zone, 'forecast', params, signal)
    return this.series(zone, clipPoints(this.parse(zone, body, 'forecast'), from, to))
  }

  /** Measured (possibly still estimated) intensity: `history` for the last 24 h, else `past-range`. */
  async actuals (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    checkRange(ID, zone, from, to)
    if (to <= from) return this.series(zone, [])
    const now = this.now()
    // The hourly point covering `from` starts on the hour at or before it.
    const start = floorHour(from)
    if (start >= floorHour(now) - HISTORY_BACK_MS) {
      const body = await this.get(zone, 'history', {}, signal)
      return this.series(zone, clipPoints(this.parse(zone, body, 'history'), from, to))
    }
    const end = Math.min(to, now)
    const byStart = new Map<Instant, IntensityPoint>()
    // One chunk at a time: Electricity Maps answers bursts with 401 (electricitymaps-contrib#8047).
    for (let at = start; at < end; at += PAST_RANGE_MS) {
      const params = { start: isoUtc(at), end: isoUtc(Math.min(at + PAST_RANGE_MS, end)) }
      const body = await this.get(zone, 'past-range', params, signal)
      // Chunks share their boundary instant; a point served twice is kept once.
      for (const p of this.parse(zone, body, 'data')) if (!byStart.has(p.start)) byStart.set(p.start, p)
    }
    const points = [...byStart.values()].sort((a, b) => a.start - b.start)
    return this.series(zone, clipPoints(points, from, to))
  }

  private series (zone: string, points: IntensityPoint[]): Series {
    return { zone, signal: this.signal, gas: this.gas, factorType: this.factorType, source: this.source, points }
  }

  private async get (zone: string, route: string, params: Record<string, string>, signal: AbortSignal | undefined): Promise<unknown> {
    const url = endpoint(this.baseUrl, `/v3/carbon-intensity/${route}`, {
      zone: this.region,
      emissionFactorType: this.emissionFactorType,
      shouldUseFallbackCallerLookup: 'false',
      ...params
    })
    const { body } = await sendJson({ provider: ID, zone, url, headers: { 'auth-token': this.#token }, signal }, this.http)
    return body
  }

  /**
   * Points of one body, sorted, each lasting the body's granularity (cut at the next point). An empty
   * body or `{}` is no data; anything else malformed throws `bad-data` and yields nothing.
   */
  private parse (zone: string, body: unknown, envelope: Envelope): IntensityPoint[] {
    const bad = (problem: string): ProviderError =>
      new ProviderError(ID, zone, 'bad-data', `${ID} (zone ${zone}, region ${this.region}) ${envelope}: ${problem}; nothing used`)
    if (body === null || (isObject(body) && Object.keys(body).length === 0)) return []
    if (!isObject(body)) throw bad('the body is not a JSON object')
    if (body.zone !== undefined && body.zone !== this.region) throw bad(`the body is for zone ${JSON.stringify(body.zone)}`)
    const rows = body[envelope]
    if (!Array.isArray(rows)) throw bad(`"${envelope}" is not a list`)
    const step = body.temporalGranularity === undefined ? HOUR_MS : GRANULARITY_MS[String(body.temporalGranularity)]
    if (step === undefined) throw bad(`unknown temporalGranularity ${JSON.stringify(body.temporalGranularity)}`)
    const samples: Sample[] = []
    rows.forEach((row: unknown, i) => {
      const problem = this.sample(row, samples)
      if (problem !== undefined) throw bad(`${envelope}[${i}]${problem}`)
    })
    return withEnds(samples, step)
  }

  /** Appends the row's sample (none for a null intensity: a gap); returns what is wrong with it. */
  private sample (row: unknown, into: Sample[]): string | undefined {
    if (!isObject(row)) return ' is not an object'
    const { datetime, carbonIntensity: value } = row
    if (row.zone !== undefined && row.zone !== this.region) return `.zone is ${JSON.stringify(row.zone)}`
    if (row.emissionFactorType !== undefined && row.emissionFactorType !== this.emissionFactorType) {
      return `.emissionFactorType is ${JSON.stringify(row.emissionFactorType)}, asked for ${this.emissionFactorType}`
    }
    const start = typeof datetime === 'string' && ZONED_ISO.test(datetime) ? Date.parse(datetime) : Number.NaN
    if (!Number.isFinite(start)) return `.datetime ${JSON.stringify(datetime)} is not an ISO 8601 time with a zone`
    if (value === null) return undefined
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return `.carbonIntensity ${JSON.stringify(value)} is not a non-negative number of gCO2eq/kWh`
    }
    into.push({ start, gPerKwh: value })
    return undefined
  }
}

/** Sorted, one per start, each lasting `stepMs` but never past the next one's start. */
function withEnds (samples: readonly Sample[], stepMs: number): IntensityPoint[] {
  const sorted = [...samples].sort((a, b) => a.start - b.start).filter((s, i, all) => s.start !== all[i - 1]?.start)
  return sorted.map((s, i) => ({ start: s.start, end: Math.min(s.start + stepMs, sorted[i + 1]?.start ?? Infinity), gPerKwh: s.gPerKwh }))
}


/** `2024-03-18T02:00:00.000Z`: the API checks datetime formatting strictly (carbon-aware-sdk). */
function isoUtc (t: Instant): string {
  return new Date(t).toISOString()
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

import { HOUR_MS, MINUTE_MS, type FactorType, type Gas, type Instant, type IntensityPoint, type Series, type Signal } from '../core/types.js'
import { clipPoints } from './csv.js'
import { endpoint, readJson, safeUrl, send, withDefaults, type HttpOptions, type HttpRequest, type HttpResponse } from './http.js'
import { checkRange, ProviderError, type IntensityProvider } from './provider.js'

const ID = 'watttime'
/** 1 lb = 453.59237 g and 1 MWh = 1,000 kWh, so 1 lbs/MWh = 0.45359237 g/kWh. */
export const G_PER_KWH_PER_LBS_PER_MWH = 0.45359237
/** The CO2 signals WattTime reports in lbs/MWh: marginal (`co2_moer`) and average (`co2_aoer`, historical only). */
const SIGNALS: Readonly<Record<string, Signal>> = { co2_moer: 'marginal', co2_aoer: 'average' }
/**
 * The factor type of each: the MOER is the rate of the marginal plant; the AOER averages the
 * operating (stack) emissions of the grid's plants, combustion only, so it is a direct factor.
 */
const FACTOR_TYPES: Readonly<Record<string, FactorType>> = { co2_moer: 'marginal', co2_aoer: 'direct' }
const LBS_UNITS = 'lbs_co2_per_mwh'
/** "Token expires after 30 minutes"; renewed 1 min early so a token never lapses in flight. */
const TOKEN_LIFE_MS = 30 * MINUTE_MS
const TOKEN_MARGIN_MS = MINUTE_MS
/** `/v3/forecast` reaches 0–72 h ahead; never less than its default 24 h (288 points), so outages show. */
const MIN_HORIZON_HOURS = 24
const MAX_HORIZON_HOURS = 72
/** `/v3/historical` caps a query at 32 days with inclusive ends; 30 days as WattTime's own client. */
const HISTORICAL_CHUNK_MS = 30 * 24 * HOUR_MS
/** Points are 5-minute periods on the clock; the one covering `from` starts at most 5 min before it. */
const GRID_MS = 5 * MINUTE_MS
/**
 * The 2026-04-22 outage served 0.0 everywhere for > 10 h. A MOER can be 0 for a while (curtailed
 * renewables on the margin), so only a body that is all zeros over 12 h or more is taken as an outage.
 */
const OUTAGE_MIN_MS = 12 * HOUR_MS
const ZONED_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/

/** Options of `WattTimeProvider`. */
export interface WattTimeOptions {
  /** WattTime region (balancing authority), e.g. 'CAISO_NORTH', 'PJM_NJ'. */
  region: string
  /** Account credentials, sent only as HTTP Basic to `/login`. */
  username: string
  password: string
  /** 'co2_moer' (marginal, default) or 'co2_aoer' (average, historical only). */
  signalType?: string
  /** Default https://api.watttime.org. */
  baseUrl?: string
  /** Merged over `DEFAULT_HTTP`. */
  http?: Partial<HttpOptions>
  /** Clock for the token's 30-minute life and the forecast horizon; default `Date.now`. */
  now?: () => number
}

interface Token { value: Promise<string>, expiresAt: number }
interface Sample { start: Instant, value: number }

/**
 * WattTime API v3: marginal operating emissions (`co2_moer`) by default, converted from lbs/MWh to
 * g/kWh here and only after `meta.units` says lbs/MWh (a `/v3/signal-index` percentile is refused).
 * Logs in with Basic auth and caches the Bearer token for its 30 minutes; a 401 logs in again once.
 * Forecasts from `/v3/forecast` (5-minute, ≤ 72 h); actuals from `/v3/historical` in 30-day chunks.
 */
export class WattTimeProvider implements IntensityProvider {
  readonly id = ID
  readonly signal: Signal
  /** lbs of CO2 per MWh: CO2 alone, not CO2-equivalents. */
  readonly gas: Gas = 'co2'
  readonly factorType: FactorType
  readonly region: string
  readonly signalType: string
  /** `watttime:<region>:<signalType>`, e.g. `watttime:CAISO_NORTH:co2_moer`. */
  readonly source: string
  // Private fields stay out of JSON.stringify and util.inspect, so logging the provider is safe.
  readonly #username: string
  readonly #password: string
  #token: Token | undefined
  private readonly baseUrl: string
  private readonly http: HttpOptions
  private readonly now: () => number

  constructor (o: WattTimeOptions) {
    this.region = o.region
    this.signalType = o.signalType ?? 'co2_moer'
    const signal = SIGNALS[this.signalType]
    if (signal === undefined) {
      throw new ProviderError(ID, o.region, 'bad-data', `${ID}: signalType "${this.signalType}" is not a CO2 intensity (use ${Object.keys(SIGNALS).join(' or ')})`)
    }
    this.signal = signal
    this.factorType = FACTOR_TYPES[this.signalType] ?? 'marginal'
    this.#username = o.username
    this.#password = o.password
    this.baseUrl = o.baseUrl ?? 'https://api.watttime.org'
    this.http = withDefaults(o.http)
    this.now = o.now ?? Date.now
    this.source = `${ID}:${this.region}:${this.signalType}`
  }

  /** 5-minute forecast from the current period, asking for 24–72 h of horizon, enough to reach `to`. */
  async forecast (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    checkRange(ID, zone, from, to)
    if (to <= from) return this.series(zone, [])
    const hours = Math.min(MAX_HORIZON_HOURS, Math.max(MIN_HORIZON_HOURS, Math.ceil((to - this.now()) / HOUR_MS)))
    const body = await this.get(zone, '/v3/forecast', { horizon_hours: String(hours) }, signal)
    return this.series(zone, clipPoints(this.parse(zone, body), from, to))
  }

  /** Historical values up to now, one 30-day query at a time; shared chunk ends are kept once. */
  async actuals (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    checkRange(ID, zone, from, to)
    if (to <= from) return this.series(zone, [])
    const start = Math.floor(from / GRID_MS) * GRID_MS
    const end = Math.min(to, this.now())
    const byStart = new Map<Instant, IntensityPoint>()
    for (let at = start; at < end; at += HISTORICAL_CHUNK_MS) {
      const params = { start: isoUtc(at), end: isoUtc(Math.min(at + HISTORICAL_CHUNK_MS, end)) }
      const body = await this.get(zone, '/v3/historical', params, signal)
      for (const p of this.parse(zone, body)) if (!byStart.has(p.start)) byStart.set(p.start, p)
    }
    const points = [...byStart.values()].sort((a, b) => a.start - b.start)
    return this.series(zone, clipPoints(points, from, to))
  }

  private series (zone: string, points: IntensityPoint[]): Series {
    return { zone, signal: this.signal, gas: this.gas, factorType: this.factorType, source: this.source, points }
  }

  /** A data call with the cached token; on 401 the token is dropped and the call made once more. */
  private async get (zone: string, path: string, params: Record<string, string>, signal: AbortSignal | undefined): Promise<unknown> {
    const url = endpoint(this.baseUrl, path, { region: this.region, signal_type: this.signalType, ...params })
    const first = this.bearer(zone)
    let res = await this.call(zone, url, first, signal)
    if (res.status === 401) {
      // Another call may have logged in meanwhile: only the token that was refused is dropped.
      if (this.#token === first) this.#token = undefined
      res = await this.call(zone, url, this.bearer(zone), signal)
      if (res.status === 401) {
        throw new ProviderError(ID, zone, 'unauthorized', `${ID} (zone ${zone}) GET ${safeUrl(url)}: HTTP 401 even with a fresh token`)
      }
    }
    return readJson(res.req, res)
  }

  private async call (zone: string, url: URL, token: Token, signal: AbortSignal | undefined): Promise<HttpResponse & { req: HttpRequest }> {
    const req: HttpRequest = { provider: ID, zone, url, headers: { authorization: `Bearer ${await token.value}` }, signal, accept: [401] }
    return { ...await send(req, this.http), req }
  }

  /** The cached token, or a new login shared by every caller until it lands (or fails). */
  private bearer (zone: string): Token {
    const now = this.now()
    if (this.#token !== undefined && now < this.#token.expiresAt) return this.#token
    // No caller's AbortSignal here: the login is shared, and one caller giving up must not fail the rest.
    const token: Token = { value: this.login(zone), expiresAt: now + TOKEN_LIFE_MS - TOKEN_MARGIN_MS }
    token.value.catch(() => { if (this.#token === token) this.#token = undefined })
    this.#token = token
    return token
  }

  private async login (zone: string): Promise<string> {
    const basic = Buffer.from(`${this.#username}:${this.#password}`).toString('base64')
    const req: HttpRequest = { provider: ID, zone, url: endpoint(this.baseUrl, '/login'), headers: { authorization: `Basic ${basic}` } }
    const res = await send(req, this.http)
    let token: unknown
    try {
      token = (JSON.parse(res.text) as { token?: unknown } | null)?.token
    } catch {
      token = undefined
    }
    if (typeof token !== 'string' || token === '') {
      // The body is not quoted: a login answer may hold credentials.
      throw new ProviderError(ID, zone, 'bad-data', `${ID} (zone ${zone}) GET ${safeUrl(req.url)}: HTTP ${res.status} without a "token"`)
    }
    return token
  }

  /**
   * Points of one body in g/kWh, sorted, each lasting `meta.data_point_period_seconds`. An empty body
   * or `{}` is no data; wrong units, region or signal, or anything malformed, throws `bad-data`.
   */
  private parse (zone: string, body: unknown): IntensityPoint[] {
    const bad = (problem: string): ProviderError =>
      new ProviderError(ID, zone, 'bad-data', `${ID} (zone ${zone}, region ${this.region}): ${problem}; nothing used`)
    if (body === null || (isObject(body) && Object.keys(body).length === 0)) return []
    if (!isObject(body) || !isObject(body.meta) || !Array.isArray(body.data)) throw bad('the body lacks "data" and "meta"')
    const problem = this.metaProblem(body.meta)
    if (problem !== undefined) throw bad(problem)
    const periodMs = Number(body.meta.data_point_period_seconds) * 1000
    const samples: Sample[] = []
    body.data.forEach((row: unknown, i) => {
      const sample = isObject(row) ? toSample(row) : undefined
      if (sample === undefined) throw bad(`data[${i}] is not {point_time: ISO 8601 with a zone, value: a number ≥ 0}`)
      samples.push(sample)
    })
    if (samples.length * periodMs >= OUTAGE_MIN_MS && samples.every(s => s.value === 0)) {
      throw new ProviderError(ID, zone, 'unavailable', `${ID} (zone ${zone}): all ${samples.length} values are 0, as in WattTime's outages; nothing used`)
    }
    const sorted = samples.sort((a, b) => a.start - b.start).filter((s, i, all) => s.start !== all[i - 1]?.start)
    return sorted.map((s, i) => ({
      start: s.start,
      end: Math.min(s.start + periodMs, sorted[i + 1]?.start ?? Infinity),
      gPerKwh: s.value * G_PER_KWH_PER_LBS_PER_MWH
    }))
  }

  /** What makes `meta` unusable: a percentile, other units, another region or signal, no period. */
  private metaProblem (meta: Record<string, unknown>): string | undefined {
    if (meta.units === 'percentile') {
      return 'meta.units is "percentile": a /v3/signal-index rank (0–100), not an intensity, so it is never converted'
    }
    if (meta.units !== LBS_UNITS) return `meta.units is ${JSON.stringify(meta.units)}, expected "${LBS_UNITS}"`
    if (meta.region !== undefined && meta.region !== this.region) return `meta.region is ${JSON.stringify(meta.region)}`
    if (meta.signal_type !== undefined && meta.signal_type !== this.signalType) return `meta.signal_type is ${JSON.stringify(meta.signal_type)}`
    const period = meta.data_point_period_seconds
    if (typeof period !== 'number' || !Number.isFinite(period) || period <= 0) return 'meta.data_point_period_seconds is not a positive number'
    return undefined
  }
}

function toSample (row: Record<string, unknown>): Sample | undefined {
  const { point_time: time, value } = row
  const start = typeof time === 'string' && ZONED_ISO.test(time) ? Date.parse(time) : Number.NaN
  if (!Number.isFinite(start) || typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined
  return { start, value }
}

/** `2022-07-15T00:05:00Z`: WattTime requires a zone on every timestamp; whole seconds suffice. */
function isoUtc (t: Instant): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

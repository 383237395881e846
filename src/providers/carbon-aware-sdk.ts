import { HOUR_MS, type FactorType, type Gas, type Instant, type IntensityPoint, type Series, type Signal } from '../core/types.js'
import { nonOverlapping, sdkActualPoints, sdkForecastPoints, sdkProblem } from './carbon-aware-sdk-parse.js'
import { clipPoints } from './csv.js'
import { DEFAULT_HTTP, safeUrl, send, type HttpOptions } from './http.js'
import { checkRange, configuredLabels, ProviderError, type IntensityProvider } from './provider.js'

const ID = 'carbon-aware-sdk'
/**
 * Longest actuals request. The SDK does not split ranges itself and passes them to its source:
 * Electricity Maps' past-range takes at most 10 days of hourly data (WattTime's historical 32 days).
 */
const MAX_RANGE_MS = 10 * 24 * HOUR_MS

/** Options of `CarbonAwareSdkProvider`. */
export interface CarbonAwareSdkOptions {
  /** The SDK's location name, e.g. a cloud region such as 'westeurope' (see its `GET /locations`). */
  region: string
  /** Where the self-hosted WebAPI is served, e.g. http://carbon-aware:8080; required. */
  baseUrl: string
  /**
   * What the SDK's data source reports: 'marginal' behind WattTime (MOER), 'average' behind
   * Electricity Maps. The SDK's responses do not say, so the config must; default 'average'.
   */
  signal?: Signal
  /**
   * What the values count and cover, which the SDK does not say either: default co2/marginal for a
   * marginal signal (WattTime MOER is CO2 only), co2e/lifecycle for an average one (Electricity Maps).
   */
  gas?: Gas
  factorType?: FactorType
  /** Merged over `DEFAULT_HTTP`. */
  http?: Partial<HttpOptions>
}

/**
 * The Green Software Foundation Carbon Aware SDK WebAPI (self-hosted, no auth) as a source, in g/kWh
 * as the SDK reports them. Forecasts from `/emissions/forecasts/current`, actuals from
 * `/emissions/bylocation` in ≤ 10-day requests; each point's period comes from its own `duration`.
 */
export class CarbonAwareSdkProvider implements IntensityProvider {
  readonly id = ID
  readonly signal: Signal
  readonly gas: Gas
  readonly factorType: FactorType
  readonly region: string
  readonly source: string
  private readonly baseUrl: string
  private readonly http: HttpOptions

  constructor (options: CarbonAwareSdkOptions) {
    if (options.region.trim() === '') throw new ProviderError(ID, options.region, 'unknown-zone', `${ID}: region must be an SDK location name`)
    this.region = options.region
    this.signal = options.signal ?? 'average'
    const labels = configuredLabels(this.signal, options.gas, options.factorType)
    this.gas = labels.gas
    this.factorType = labels.factorType
    this.source = `${ID}:${options.region}`
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.http = { ...DEFAULT_HTTP, ...options.http }
  }

  async forecast (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    checkRange(ID, zone, from, to)
    if (to <= from) return this.series(zone, [])
    // No dataStartAt/dataEndAt: the SDK answers 400 when either lies outside its forecast
    // (EmissionsForecast.Validate), and greenshift's window usually reaches past the horizon.
    // No windowSize either: it then defaults to one point's duration, so values are not rolling means.
    const url = this.url('/emissions/forecasts/current', { location: this.region })
    const body = await this.get(zone, url, signal)
    const points = sdkForecastPoints(body, this.region, this.failure(zone, url))
    return this.series(zone, clipPoints(nonOverlapping(points), from, to))
  }

  async actuals (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    checkRange(ID, zone, from, to)
    const out: IntensityPoint[] = []
    for (let start = from; start < to; start += MAX_RANGE_MS) {
      const end = Math.min(start + MAX_RANGE_MS, to)
      const url = this.url('/emissions/bylocation', { location: this.region, time: iso(start), toTime: iso(end) })
      const body = await this.get(zone, url, signal)
      // Cut each answer to its own range: some SDK versions ignore the time parameters.
      out.push(...clipPoints(nonOverlapping(sdkActualPoints(body, this.failure(zone, url))), start, end))
    }
    return this.series(zone, out)
  }

  private url (path: string, query: Record<string, string>): URL {
    const url = new URL(this.baseUrl + path)
    url.search = new URLSearchParams(query).toString()
    return url
  }

  /** The parsed body; null for 204 or an empty body (bylocation's "no data"). */
  private async get (zone: string, url: URL, signal: AbortSignal | undefined): Promise<unknown> {
    const where = `${ID} (zone ${zone}) GET ${safeUrl(url)}`
    // 400 (bad parameters) and 501 (the data source cannot forecast) will not improve on retry.
    const res = await send({ provider: ID, zone, url, signal, accept: [400, 501] }, this.http)
    let body: unknown = null
    try {
      if (res.text.trim() !== '') body = JSON.parse(res.text)
    } catch (err) {
      if (res.status < 300) throw new ProviderError(ID, zone, 'bad-data', `${where}: body is not JSON: ${res.text.slice(0, 120)}`, { cause: err })
    }
    if (res.status === 400) throw new ProviderError(ID, zone, 'bad-data', `${where}: HTTP 400: ${sdkProblem(body, res.text)}`)
    if (res.status === 501) throw new ProviderError(ID, zone, 'unavailable', `${where}: HTTP 501, the SDK's data source does not support this: ${sdkProblem(body, res.text)}`)
    return body
  }

  private failure (zone: string, url: URL): (detail: string) => never {
    return detail => {
      throw new ProviderError(ID, zone, 'bad-data', `${ID} (zone ${zone}) GET ${safeUrl(url)}: unexpected body: ${detail}`)
    }
  }

  private series (zone: string, points: IntensityPoint[]): Series {
    return { zone, signal: this.signal, gas: this.gas, factorType: this.factorType, source: this.source, points }
  }
}

/** ISO 8601 UTC with milliseconds, which ASP.NET binds to `DateTime`/`DateTimeOffset` as UTC. */
const iso = (t: Instant): string => new Date(t).toISOString()

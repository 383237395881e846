import { HOUR_MS, type FactorType, type Gas, type Instant, type IntensityPoint, type Series } from '../core/types.js'
import { clipPoints } from './csv.js'
import { edsPage, ROW_MS, uniqueSorted, type EdsPage } from './energidataservice-parse.js'
import { DEFAULT_HTTP, readJson, safeUrl, send, type HttpOptions, type HttpRequest, type HttpResponse } from './http.js'
import { checkRange, ProviderError, type IntensityProvider } from './provider.js'

const ID = 'energidataservice'
/** Danish local time is UTC+1 in winter and UTC+2 in summer. */
const DK_OFFSET_MAX_MS = 2 * HOUR_MS
/** Rows per request: 10,000 is about 17 days of one area's 5-minute rows, so most reads take one call. */
const PAGE_ROWS = 10_000
/**
 * How long a `RemainingCalls` count stays meaningful. The API's quota window is not documented
 * (uncertain); its responses carry `Cache-Control: max-age=60`, so one minute is assumed.
 */
const QUOTA_WINDOW_MS = 60_000

type Dataset = 'CO2EmisProg' | 'CO2Emis'

/** Options of `EnergiDataServiceProvider`. */
export interface EnergiDataServiceOptions {
  /** Price area: DK1 (west of the Great Belt) or DK2 (east). */
  region: 'DK1' | 'DK2'
  /** Default https://api.energidataservice.dk; a proxy or a test server may stand in. */
  baseUrl?: string
  /** Merged over `DEFAULT_HTTP`. */
  http?: Partial<HttpOptions>
  /** Rows per request; default 10,000. */
  pageRows?: number
  /** Clock for the `RemainingCalls` pause, epoch ms; default `Date.now`. */
  now?: () => Instant
}

/** The last `RemainingCalls` / `TotalCalls` the API reported, and when. */
interface Quota { remaining: number, total: string, at: Instant }

/**
 * Energinet's Energi Data Service: average, consumption-based g/kWh for Denmark in 5-minute rows, no
 * auth. Forecasts from `CO2EmisProg` (often only 9 h ahead: the series may end early), actuals from
 * `CO2Emis`. Honours the `RemainingCalls` header: when the count left cannot finish a read (0 for a
 * new read), it fails `rate-limited` without calling until the quota window has passed.
 */
export class EnergiDataServiceProvider implements IntensityProvider {
  readonly id = ID
  readonly signal = 'average'
  /** `CO2Emission`, g/kWh: CO2 alone, from combustion at the plants (a direct factor). */
  readonly gas: Gas = 'co2'
  readonly factorType: FactorType = 'direct'
  readonly region: 'DK1' | 'DK2'
  readonly source: string
  private readonly baseUrl: string
  private readonly http: HttpOptions
  private readonly pageRows: number
  private readonly now: () => Instant
  private quota: Quota | undefined

  constructor (options: EnergiDataServiceOptions) {
    if (options.region !== 'DK1' && options.region !== 'DK2') {
      throw new ProviderError(ID, String(options.region), 'unknown-zone', `${ID}: region "${String(options.region)}" is not DK1 or DK2`)
    }
    this.region = options.region
    this.source = `${ID}:${options.region}`
    this.baseUrl = (options.baseUrl ?? 'https://api.energidataservice.dk').replace(/\/+$/, '')
    this.http = { ...DEFAULT_HTTP, ...options.http }
    this.pageRows = options.pageRows ?? PAGE_ROWS
    this.now = options.now ?? Date.now
  }

  async forecast (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    return await this.read('CO2EmisProg', zone, from, to, signal)
  }

  async actuals (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series> {
    return await this.read('CO2Emis', zone, from, to, signal)
  }

  private async read (dataset: Dataset, zone: string, from: Instant, to: Instant, signal: AbortSignal | undefined): Promise<Series> {
    checkRange(ID, zone, from, to)
    if (to <= from) return { zone, signal: this.signal, gas: this.gas, factorType: this.factorType, source: this.source, points: [] }
    // The query window below spans at most (to - from) + 4 h; two areas' rows at most fill it.
    const maxRecords = 2 * Math.ceil((to - from + 2 * DK_OFFSET_MAX_MS) / ROW_MS)
    const points: IntensityPoint[] = []
    this.checkQuota(zone, 1)
    for (let offset = 0; ;) {
      const page = await this.page(dataset, zone, from, to, offset, signal)
      points.push(...page.points)
      offset += page.count
      if (page.count < this.pageRows || offset >= page.total) break
      if (offset >= maxRecords) {
        throw new ProviderError(ID, zone, 'bad-data', `${ID} (zone ${zone}) ${dataset}: ${page.total} records for a window that holds at most ${maxRecords}; the period or PriceArea filter was not applied`)
      }
      this.checkQuota(zone, Math.ceil((page.total - offset) / this.pageRows))
    }
    return { zone, signal: this.signal, gas: this.gas, factorType: this.factorType, source: this.source, points: clipPoints(uniqueSorted(points), from, to) }
  }

  private async page (dataset: Dataset, zone: string, from: Instant, to: Instant, offset: number, signal: AbortSignal | undefined): Promise<EdsPage> {
    const url = new URL(`${this.baseUrl}/dataset/${dataset}`)
    // `start`/`end` are read as Danish local time (UTC+1/+2). The UTC wall-clock of `from` read that
    // way lands 1–2 h before `from`, and that of `to` + 2 h lands at or after `to`: a window a little
    // too wide on both sides, whatever the season, and the rows are cut to [from, to) by Minutes5UTC.
    // URLSearchParams writes a space as '+', which this API's guide treats specially: send %20.
    url.search = new URLSearchParams({
      start: wallClock(from),
      end: wallClock(to + DK_OFFSET_MAX_MS),
      filter: JSON.stringify({ PriceArea: [this.region] }),
      sort: 'Minutes5UTC asc',
      offset: String(offset),
      limit: String(this.pageRows)
    }).toString().replaceAll('+', '%20')
    const where = `${ID} (zone ${zone}) GET ${safeUrl(url)}`
    const req: HttpRequest = { provider: ID, zone, url, signal, accept: [400] }
    const res = await this.send(req)
    // 400s are plain text (e.g. "Invalid period specified"), not JSON.
    if (res.status === 400) throw new ProviderError(ID, zone, 'bad-data', `${where}: HTTP 400: ${res.text.trim().slice(0, 300)}`)
    return edsPage(readJson(req, res), this.region, detail => {
      throw new ProviderError(ID, zone, 'bad-data', `${where}: unexpected body: ${detail}`)
    })
  }

  private async send (req: HttpRequest): Promise<HttpResponse> {
    try {
      const res = await send(req, this.http)
      this.noteQuota(res)
      return res
    } catch (err) {
      // 429s that outlasted the retries: treat the quota as spent for a window rather than hammering.
      if (err instanceof ProviderError && err.code === 'rate-limited') this.quota = { remaining: 0, total: '?', at: this.now() }
      throw err
    }
  }

  private noteQuota (res: HttpResponse): void {
    const remaining = Number(header(res, 'remainingcalls'))
    if (header(res, 'remainingcalls') === undefined || !Number.isInteger(remaining)) return
    this.quota = { remaining, total: header(res, 'totalcalls') ?? '?', at: this.now() }
  }

  /** Fails `rate-limited`, before any request, when the last reported quota cannot cover `needed` calls. */
  private checkQuota (zone: string, needed: number): void {
    const q = this.quota
    if (q === undefined || this.now() - q.at >= QUOTA_WINDOW_MS || q.remaining >= needed) return
    const wait = Math.ceil((q.at + QUOTA_WINDOW_MS - this.now()) / 1000)
    const error = new ProviderError(ID, zone, 'rate-limited',
      `${ID} (zone ${zone}): RemainingCalls is ${q.remaining} of ${q.total} and ${needed} more request(s) are needed; not calling for another ${wait} s`)
    throw Object.assign(error, { retryAfterMs: wait * 1000 })
  }
}

/** `yyyy-MM-ddTHH:mm` of the instant's UTC wall clock, a format the API's `start`/`end` accept. */
const wallClock = (t: Instant): string => new Date(t).toISOString().slice(0, 16)

function header (res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name]
  return Array.isArray(value) ? value[0] : value
}

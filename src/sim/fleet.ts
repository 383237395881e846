import { covers, prepare, type PreparedSeries } from '../core/series.js'
import { HOUR_MS, MINUTE_MS, type Instant, type Pool, type Series } from '../core/types.js'
import { clipPoints } from '../providers/csv.js'
import { medianStep } from './csv-table.js'
import { SimInputError } from './input-error.js'
import type { SimJob } from './jobs-csv.js'
import { withNoise } from './noise.js'
import { hourlyFromPoints, medianPoints } from '../forecast/from-points.js'
import { historyBefore, type ForecastModel, type Hourly } from '../forecast/model.js'
import type { SimInput, SimOptions, SimZone } from './types.js'

/** A zone ready for the run: its data, its step, and its actual series prepared for coverage checks. */
export interface ZoneState {
  data: SimZone
  stepMs: number
  prepared: PreparedSeries
  /** What the planned run sees when there is no forecast: the actual series, or a noisy copy. */
  seen: SimZone['actual']
  /** The actual series by hour, for a forecast model. */
  hourly: Hourly | undefined
}

/**
 * The simulated fleet: core `Pool`s, each job's home pool and the pools it may run in, and the
 * series each run hands the planner, cut to the job's window (the planner prepares whatever it
 * is given in O(n), so a year of 17,569 points per call would cost 3,387 × 17,569 steps).
 */
export class Fleet {
  readonly pools: Pool[]
  readonly zones = new Map<string, ZoneState>()
  /** Slot length of the interruptible search: the finest data step, so a slot is one step. */
  readonly quantumMs: number
  readonly plannerSaw: string
  private readonly byName = new Map<string, Pool>()
  private readonly historyMs: number
  private readonly unlimited: boolean
  private readonly forecastModel: ForecastModel | undefined

  constructor (private readonly input: SimInput, options: SimOptions) {
    for (const z of input.zones) this.zones.set(z.zone, zoneState(z, options))
    this.forecastModel = options.forecastModel
    this.unlimited = input.pools === undefined
    this.pools = input.pools === undefined
      ? input.zones.map(z => unlimitedPool(z.zone, options.kw ?? 1))
      : input.pools.map(p => ({ ...p, gpuModel: 'simulated', executor: { kind: 'agent' }, enabled: true, embodiedGPerGpuHour: null, hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null }))
    for (const p of this.pools) this.byName.set(p.name, p)
    this.quantumMs = Math.min(...[...this.zones.values()].map(z => z.stepMs))
    this.historyMs = (options.historyHours ?? 0) * HOUR_MS
    this.plannerSaw = plannerSaw(input.zones, options)
    this.checkPools()
  }

  /** True when the planned run sees exactly the actual series (no forecast, no noise): it is then its own oracle. */
  get plannerSeesActual (): boolean {
    return this.plannerSaw === 'actual'
  }

  /** True when pools have a capacity the runs must respect. */
  get capacityLimited (): boolean {
    return !this.unlimited
  }

  /** The pool named `name`; throws for a name the fleet does not have (a bug: names come from `candidates`). */
  pool (name: string): Pool {
    const p = this.byName.get(name)
    if (p === undefined) throw new Error(`unknown pool ${name}`)
    return p
  }

  /**
   * The pools a job may run in, its home (baseline) pool first: its `pool`, else the first pool of
   * its `zone`, else the only zone or the first pool. Without `pools` a job stays in its zone.
   */
  candidates (job: SimJob): string[] {
    const name = this.input.jobsName ?? 'jobs'
    const bad = (column: string, problem: string) => new SimInputError(name, job.line, column, problem)
    if (job.pool !== undefined && !this.byName.has(job.pool)) throw bad('pool', `"${job.pool}" is not a pool (known: ${[...this.byName.keys()].join(', ')})`)
    if (job.zone !== undefined && !this.pools.some(p => p.zone === job.zone)) throw bad('zone', `"${job.zone}" has no intensity data or pool (known: ${[...this.zones.keys()].join(', ')})`)
    const home = job.pool ?? this.pools.find(p => job.zone === undefined || p.zone === job.zone)!.name
    if (this.unlimited) {
      if (job.zone === undefined && this.pools.length > 1) throw bad('zone', 'is needed when several --intensity zones are given without --pools')
      return [home]
    }
    return [home, ...this.pools.map(p => p.name).filter(n => n !== home)]
  }

  /** Throws naming the job's line when a zone's actual series does not cover [from, to). */
  checkCovered (job: SimJob, pools: readonly string[], from: Instant, to: Instant): void {
    for (const name of pools) {
      const zone = this.zones.get(this.pool(name).zone)!
      if (covers(zone.prepared, from, to)) continue
      const span = (t: Instant) => new Date(t).toISOString()
      throw new SimInputError(this.input.jobsName ?? 'jobs', job.line, 'arrival_utc',
        `job ${job.id} needs intensity for zone ${zone.data.zone} over [${span(from)}, ${span(to)}), which its file does not cover`)
    }
  }

  /** The actual series of `zone` over [from, to), as the oracle sees it. */
  actual (zone: string, from: Instant, to: Instant): Series {
    const z = this.zones.get(zone)!
    return { zone, signal: this.input.signal, source: z.data.source, points: clipPoints(z.data.actual, from, to) }
  }

  /** What the planned run knows at `now` about `zone` over [now, to): the forecast then current, or the (noisy) actual series. */
  known (zone: string, now: Instant, to: Instant): Series {
    const z = this.zones.get(zone)!
    const { forecast, forecastSource } = z.data
    const model = this.forecastModel
    if (forecast === undefined && model !== undefined && z.hourly !== undefined) {
      // The model sees only the hours before the one the arrival falls in.
      const origin = Math.floor(now / HOUR_MS) * HOUR_MS
      const hours = Math.ceil((to - origin) / HOUR_MS)
      const predicted = medianPoints(model.forecast(historyBefore(z.hourly, origin), origin, hours), origin)
      // Without history to forecast from (the first arrivals), the planner knows nothing: a flat
      // series, on which it starts the job at once, as the baseline does.
      const points = predicted.length > 0 ? predicted : [{ start: origin, end: origin + hours * HOUR_MS, gPerKwh: 1 }]
      return { zone, signal: this.input.signal, source: `model:greenshift-${model.name}`, points: clipPoints(points, now, to) }
    }
    if (forecast === undefined) return { zone, signal: this.input.signal, source: z.data.source, points: clipPoints(z.seen, now, to) }
    const history = this.historyMs > 0 ? clipPoints(z.data.actual, now - this.historyMs, now) : []
    const issue = forecast.knownAt(now)
    const ahead = issue === undefined ? [] : clipPoints(issue.points, now, to)
    return { zone, signal: this.input.signal, source: `forecast:${forecastSource ?? zone}`, points: [...history, ...ahead] }
  }

  private checkPools (): void {
    for (const p of this.pools) {
      if (!this.zones.has(p.zone)) throw new SimInputError(this.input.poolsName ?? 'pools', undefined, undefined, `pool ${p.name} is in zone ${p.zone}, which has no --intensity file`)
    }
  }
}

function zoneState (z: SimZone, options: SimOptions): ZoneState {
  const stepMs = medianStep(z.actual.map(p => p.start)) || MINUTE_MS
  const noise = options.noise
  const seen = z.forecast === undefined && noise !== undefined && noise.pct > 0 ? withNoise(z.actual, noise.pct, noise.seed) : z.actual
  const hourly = options.forecastModel === undefined || z.forecast !== undefined ? undefined : hourlyFromPoints(z.actual)
  return { data: z, stepMs, prepared: prepare({ zone: z.zone, signal: 'average', source: z.source, points: z.actual }), seen, hourly }
}

/** One pool per zone that never fills: 1 GPU draws exactly `kw` (W per GPU = 1000 × kW, PUE 1). */
function unlimitedPool (zone: string, kw: number): Pool {
  return { name: zone, zone, gpuModel: 'simulated', gpuCount: Number.MAX_SAFE_INTEGER, wattsPerGpu: kw * 1000, pue: 1, executor: { kind: 'agent' }, enabled: true, embodiedGPerGpuHour: null, hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null }
}

function plannerSaw (zones: readonly SimZone[], options: SimOptions): string {
  const forecasts = zones.flatMap(z => z.forecast === undefined ? [] : [z.forecastSource ?? z.zone])
  if (forecasts.length > 0) return `forecast:${forecasts.join('+')}`
  if (options.forecastModel !== undefined) return `model:greenshift-${options.forecastModel.name}`
  const noise = options.noise
  if (noise !== undefined && noise.pct > 0) return `noise ${noise.pct} % of the mean (seed ${noise.seed})`
  return 'actual'
}

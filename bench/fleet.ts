import { readFileSync } from 'node:fs'
import { gramsOver, jobPowerKw } from '../src/core/emissions.js'
import { planJointly } from '../src/core/joint.js'
import { planJob, planJobs, type PoolView } from '../src/core/planner.js'
import { HOUR_MS, MINUTE_MS, type Instant, type Placement, type PlanOutcome, type PlanRequest, type Pool, type Reservation } from '../src/core/types.js'
import { parseIntensityCsv } from '../src/providers/csv.js'

/**
 * The fleet experiment: a month of GAIA trace jobs on 4 GPU pools in DE, FR, GB and PL (2022
 * Electricity Maps hourly LCA intensity), planned five ways. Every variant plans on the actual
 * series (a perfect forecast); they differ only in which jobs they know about and how they plan:
 * - greedy at arrival: `planJob` for each job when it arrives, against the plans made so far,
 *   never revisited (what the service does today);
 * - EDF batch / joint, online: the same plan at arrival, then every hour the jobs planned but not
 *   yet started are re-planned together with `planJobs` / `planJointly` (jobs that have started
 *   stay put); they know only jobs that have arrived;
 * - EDF batch / joint, hindsight: one call at the month's start knowing every job of the month
 *   (each still starting no earlier than its arrival). Joint with hindsight is the oracle.
 * Baseline: each job run at once on its home pool, ignoring capacity.
 */
const ZONES = ['DE', 'FR', 'GB', 'PL']
const MONTH_START = Date.UTC(2022, 0, 1)
const TRACE = new URL('../data/gaia/pai-100k-first-744h.csv', import.meta.url)
/** Slack: a job may finish up to 24 h later than if it started on arrival. */
const SLACK_MS = 24 * HOUR_MS
/** 12 of 7,429 trace jobs run longer than 48 h (up to 71 h); cut to 48 h so each fits its window. */
const MAX_LENGTH_MS = 48 * HOUR_MS
const TARGET_UTILISATION = 0.7
const TICK_MS = HOUR_MS

interface FleetJob {
  id: string
  arrival: Instant
  req: PlanRequest
}

/** One planning variant's figures. */
export interface VariantFigures {
  name: string
  knows: string
  /** Grams CO2e of the jobs it placed, on the actual series. */
  grams: number
  /** (baseline − grams) / baseline over the jobs it placed, % of total grams. */
  savingPercent: number
  /** This saving as a share of the oracle's, %. */
  capturedPercent: number
  placed: number
  /** Jobs it found no room for (the service would refuse them with 409 no-capacity). */
  noRoom: number
  deadlineMisses: number
  capacityRespected: boolean
  ms: number
}

/** What `fleetReport` prints. */
export interface FleetFigures {
  days: number
  jobs: number
  gpusPerPool: number
  utilisationPercent: number
  baselineGrams: number
  variants: VariantFigures[]
}

/** Runs the experiment on the jobs arriving in the first `days` (default 31) of January 2022; prints and returns the figures. */
export function fleetReport (opts: { days?: number } = {}): FleetFigures {
  const days = opts.days ?? 31
  const jobs = traceJobs(days)
  const gpuHours = (js: readonly FleetJob[]): number => js.reduce((s, j) => s + j.req.gpus * j.req.durationMs / HOUR_MS, 0)
  // The fleet is sized on the whole month whatever `days` is: its jobs ask for 43,664 GPU-h, and
  // 43,664 / (0.7 × 4 pools × 744 h) → 21 GPUs per pool, ≈70 % busy on average.
  const gpusPerPool = Math.round(gpuHours(traceJobs(31)) / (TARGET_UTILISATION * ZONES.length * 31 * 24))
  const views = ZONES.map(zone => poolView(zone, gpusPerPool))
  const baselines = new Map(jobs.map(j => [j.id, baselineOf(j, views)]))
  const baselineGrams = [...baselines.values()].reduce((s, g) => s + g, 0)
  const runs: Run[] = [
    measure('greedy at arrival', 'each job as it arrives', jobs, views, () => greedyAtArrival(jobs, views)),
    measure('EDF batch, online', 'arrived jobs; re-plans hourly', jobs, views, () => online(jobs, views, (reqs, v, now) => planJobs(reqs, v, now))),
    measure('joint, online', 'arrived jobs; re-plans hourly', jobs, views, () => online(jobs, views, (reqs, v, now, current) => planJointly(reqs, v, now, { current }))),
    measure('EDF batch, hindsight', 'every job in advance', jobs, views, () => placements(planJobs(jobs.map(requestOf), views, MONTH_START))),
    measure('joint, hindsight (oracle)', 'every job in advance', jobs, views, () => placements(planJointly(jobs.map(requestOf), views, MONTH_START)))
  ]
  const saving = (placedIds: string[], grams: number): number => {
    const base = placedIds.reduce((s, id) => s + baselines.get(id)!, 0)
    return 100 * (base - grams) / base
  }
  const oracle = saving(runs.at(-1)!.placedIds, runs.at(-1)!.grams)
  const variants = runs.map(({ placedIds, ...r }) => {
    const savingPercent = saving(placedIds, r.grams)
    return { ...r, savingPercent, capturedPercent: 100 * savingPercent / oracle }
  })
  const figures = { days, jobs: jobs.length, gpusPerPool, utilisationPercent: 100 * gpuHours(jobs) / (gpusPerPool * ZONES.length * days * 24), baselineGrams, variants }
  print(figures)
  return figures
}

/** Trace rows arriving in the first `days`, as GPU jobs: gpus = clamp(cpus, 1, 8), home pool by row (DE, FR, GB, PL, DE, …). */
function traceJobs (days: number): FleetJob[] {
  const lines = readFileSync(TRACE, 'utf8').trim().split('\n').slice(1)
  const jobs: FleetJob[] = []
  lines.forEach((line, i) => {
    const [arrivalH, lengthH, cpus] = line.split(',').map(Number) as [number, number, number]
    if (!(arrivalH < days * 24)) return
    const arrival = MONTH_START + Math.round(arrivalH * 60) * MINUTE_MS
    const durationMs = Math.min(MAX_LENGTH_MS, Math.max(1, Math.round(lengthH * 60)) * MINUTE_MS)
    const home = ZONES[i % ZONES.length]!
    const req: PlanRequest = {
      gpus: Math.min(8, Math.max(1, cpus)), durationMs, earliestStart: arrival, deadline: arrival + durationMs + SLACK_MS,
      interruptible: false, minSegmentMs: 0, resumeOverheadMs: 0, pools: [home, ...ZONES.filter(z => z !== home)]
    }
    jobs.push({ id: `job-${i}`, arrival, req })
  })
  return jobs
}

function poolView (zone: string, gpuCount: number): PoolView {
  const text = readFileSync(new URL(`../data/zones-2022/${zone}.csv`, import.meta.url), 'utf8')
  const pool: Pool = { name: zone, zone, gpuModel: 'A100', gpuCount, wattsPerGpu: 400, pue: 1.1, executor: { kind: 'agent' }, enabled: true, embodiedGPerGpuHour: null, hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null }
  return { pool, series: { zone, signal: 'average', source: 'zones-2022', points: parseIntensityCsv(text, { name: `${zone}.csv` }) }, reservations: [] }
}

function requestOf (j: FleetJob): PlanRequest & { id: string } {
  return { id: j.id, ...j.req }
}

function baselineOf (j: FleetJob, views: readonly PoolView[]): number {
  const v = views.find(x => x.pool.name === j.req.pools[0])!
  return gramsOver(v.series, [{ start: j.arrival, end: j.arrival + j.req.durationMs }], jobPowerKw(j.req, v.pool))
}

function placements (outcomes: ReadonlyMap<string, PlanOutcome>): Map<string, Placement> {
  const out = new Map<string, Placement>()
  for (const [id, o] of outcomes) if (o.ok) out.set(id, o.placement)
  return out
}

function sum (placed: ReadonlyMap<string, Placement>): number {
  return [...placed.values()].reduce((s, p) => s + p.grams, 0)
}

function reservationsOf (j: FleetJob, p: Placement): Reservation[] {
  return p.segments.map(s => ({ pool: p.pool, start: s.start, end: s.end, gpus: j.req.gpus, jobId: j.id }))
}

function withReservations (views: readonly PoolView[], reservations: readonly Reservation[]): PoolView[] {
  return views.map(v => ({ ...v, reservations: reservations.filter(r => r.pool === v.pool.name) }))
}

function greedyAtArrival (jobs: readonly FleetJob[], views: readonly PoolView[]): Map<string, Placement> {
  const placed = new Map<string, Placement>()
  let live: Reservation[] = []
  for (const j of jobs) {
    live = live.filter(r => r.end > j.arrival)
    const out = planJob(j.req, withReservations(views, live), j.arrival)
    if (!out.ok) continue
    placed.set(j.id, out.placement)
    live.push(...reservationsOf(j, out.placement))
  }
  return placed
}

type Batch = (reqs: Array<PlanRequest & { id: string }>, views: PoolView[], now: Instant, current: ReadonlyMap<string, Placement>) => Map<string, PlanOutcome>

/**
 * Plans each job at its arrival like the service, and every hour re-plans the jobs not yet started
 * with `batch` against the started ones. A re-plan is kept only if it places every one of them
 * and lowers their total (as a service would keep the plans in force otherwise).
 */
function online (jobs: readonly FleetJob[], views: readonly PoolView[], batch: Batch): Map<string, Placement> {
  const byId = new Map(jobs.map(j => [j.id, j]))
  const started = new Map<string, Placement>()
  let pending = new Map<string, Placement>()
  let running: Reservation[] = []
  const commit = (t: Instant): void => {
    for (const [id, p] of pending) {
      if (p.segments[0]!.start > t) continue
      started.set(id, p)
      running.push(...reservationsOf(byId.get(id)!, p))
      pending.delete(id)
    }
    running = running.filter(r => r.end > t)
  }
  const replan = (t: Instant): void => {
    commit(t)
    if (pending.size === 0) return
    const outcomes = batch([...pending.keys()].map(id => requestOf(byId.get(id)!)), withReservations(views, running), t, pending)
    const next = placements(outcomes)
    if (next.size === pending.size && sum(next) < sum(pending)) pending = next
  }
  let tick = MONTH_START + TICK_MS
  for (const j of jobs) {
    for (; tick <= j.arrival; tick += TICK_MS) replan(tick)
    commit(j.arrival)
    const held = [...running, ...[...pending].flatMap(([id, p]) => reservationsOf(byId.get(id)!, p))]
    const out = planJob(j.req, withReservations(views, held), j.arrival)
    if (out.ok) pending.set(j.id, out.placement)
  }
  for (; pending.size > 0; tick += TICK_MS) replan(tick)
  return started
}

type Run = Omit<VariantFigures, 'savingPercent' | 'capturedPercent'> & { placedIds: string[] }

function measure (name: string, knows: string, jobs: readonly FleetJob[], views: readonly PoolView[], run: () => Map<string, Placement>): Run {
  const t0 = performance.now()
  const placed = run()
  const ms = performance.now() - t0
  let grams = 0
  let deadlineMisses = 0
  for (const j of jobs) {
    const p = placed.get(j.id)
    if (p === undefined) continue
    grams += p.grams
    if (p.segments[0]!.start < j.arrival || p.segments.at(-1)!.end > j.req.deadline) deadlineMisses++
  }
  const capacityRespected = withinCapacity(jobs, views, placed)
  return { name, knows, grams, placed: placed.size, noRoom: jobs.length - placed.size, deadlineMisses, capacityRespected, ms, placedIds: [...placed.keys()] }
}

/** Sweeps each pool's placements: the GPUs held never exceed gpuCount. */
function withinCapacity (jobs: readonly FleetJob[], views: readonly PoolView[], placed: ReadonlyMap<string, Placement>): boolean {
  return views.every(v => {
    const events = jobs.flatMap(j => {
      const p = placed.get(j.id)
      return p === undefined || p.pool !== v.pool.name ? [] : p.segments.flatMap(s => [[s.start, j.req.gpus], [s.end, -j.req.gpus]] as Array<[number, number]>)
    }).sort((a, b) => a[0] - b[0] || a[1] - b[1])
    let level = 0
    return events.every(([, delta]) => (level += delta) <= v.pool.gpuCount)
  })
}

function print (f: FleetFigures): void {
  const t = (g: number): string => `${(g / 1e6).toFixed(3).padStart(6)} t`
  console.log(`fleet: ${f.jobs} GAIA jobs over ${f.days} days from 2022-01-01, pools DE FR GB PL × ${f.gpusPerPool} GPUs, utilisation ${f.utilisationPercent.toFixed(1)} %`)
  console.log('  all variants plan on the actual series; baseline = each job at once on its home pool')
  console.log(`  ${'baseline'.padEnd(26)} ${t(f.baselineGrams)}`)
  for (const v of f.variants) {
    const figures = [
      t(v.grams),
      `saving ${v.savingPercent.toFixed(2).padStart(5)} %`,
      `of oracle's ${v.capturedPercent.toFixed(1).padStart(5)} %`,
      `deadline misses ${v.deadlineMisses}`,
      `capacity ${v.capacityRespected ? 'ok' : 'EXCEEDED'}`,
      `${(v.ms / 1000).toFixed(1).padStart(5)} s`,
      `knows: ${v.knows}`
    ]
    if (v.noRoom > 0) figures.push(`[${v.noRoom} jobs without room: figures over the ${v.placed} placed]`)
    console.log(`  ${v.name.padEnd(26)} ${figures.join('  ')}`)
  }
}

// Timeline: per pool, its jobs over the past 7 days and the next 48 h, stacked by GPUs within the
// pool's capacity. Planned segments come with GET /v1/jobs; what ran comes from each job's page
// (GET /v1/jobs/{id}), read only for jobs that have been handed to an executor.
import { api, listJobs } from './api.js'
import { h, s, when } from './dom.js'
import { clip, pack, peakGpus, type Bar, type Placed } from './timeline-layout.js'
import type { Job, JobDetail, Pool } from './types.js'

const HOUR_MS = 3_600_000
const PAST_MS = 7 * 24 * HOUR_MS
const AHEAD_MS = 48 * HOUR_MS
/** Job pages read at most, four at a time: a busy week shows its newest 60 runs. */
const MAX_DETAILS = 60
const LABEL_W = 240

const STARTED = new Set(['dispatched', 'running', 'succeeded', 'failed', 'cancelled'])

function plannedBars (job: Job): Bar[] {
  if (job.plan === null || STARTED.has(job.state)) return []
  return job.plan.segments.map(seg => ({ id: job.id, name: job.name, state: job.state, kind: 'planned', pool: job.plan!.pool, start: Date.parse(seg.start), end: Date.parse(seg.end), gpus: job.gpus }))
}

function ranBars (job: JobDetail, now: number): Bar[] {
  const base = { id: job.id, name: job.name, state: job.state, gpus: job.gpus }
  const done: Bar[] = job.segments.filter(seg => seg.kind === 'actual')
    .map(seg => ({ ...base, kind: 'finished', pool: seg.pool, start: Date.parse(seg.start), end: Date.parse(seg.end) }))
  const open: Bar[] = job.runs.filter(r => r.finishedAt === null && r.outcome === null).map(r => {
    const start = Date.parse(r.startedAt ?? r.dispatchedAt)
    return { ...base, kind: 'running', pool: r.pool, start, end: Math.max(now, start + job.durationMinutes * 60_000) }
  })
  return [...done, ...open]
}

async function details (jobs: Job[]): Promise<JobDetail[]> {
  const out: JobDetail[] = []
  const queue = jobs.slice(0, MAX_DETAILS)
  const worker = async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) out.push(await api<JobDetail>(`/v1/jobs/${job.id}`))
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  return out
}

function lane (pool: Pool, bars: Placed[], x: (t: number) => number, top: number, height: number): SVGGElement {
  const perGpu = height / pool.gpuCount
  const peak = peakGpus(bars)
  const g = s('g', { class: 'lane', 'data-pool': pool.name },
    s('rect', { class: 'capacity', x: LABEL_W, y: top, width: x(Infinity) - LABEL_W, height }),
    s('text', { x: 4, y: top + 14, class: 'pool-name' }, pool.name),
    s('text', { x: 4, y: top + 28, class: 'pool-meta' }, `${pool.zone} · ${pool.gpuCount} × ${pool.gpuModel}`),
    s('text', { x: 4, y: top + 42, class: peak > pool.gpuCount ? 'pool-meta over' : 'pool-meta' }, `peak ${peak} of ${pool.gpuCount} GPUs`))
  for (const b of bars) {
    const y = top + height - (b.offset + b.gpus) * perGpu
    const title = `${b.name} · ${b.state} · ${b.gpus} GPU · ${when(new Date(b.start).toISOString())} – ${when(new Date(b.end).toISOString())}`
    g.append(s('a', { href: `#/jobs/${b.id}` },
      s('rect', { class: `job ${b.kind} state-${b.state}`, 'data-id': b.id, x: x(b.start), y: Math.max(top - 8, y), width: Math.max(2, x(b.end) - x(b.start)), height: Math.max(3, b.gpus * perGpu - 1) },
        s('title', {}, title))))
  }
  return g
}

export async function timelineView (main: HTMLElement): Promise<void> {
  const now = Date.now()
  const from = now - PAST_MS
  const to = now + AHEAD_MS
  const [pools, jobs] = await Promise.all([
    api<Pool[]>('/v1/pools'),
    // Newest first: a job submitted over 30 days ago has met its deadline long before the window.
    listJobs<Job>(oldest => Date.parse(oldest.submittedAt) < from - 30 * 24 * HOUR_MS)
  ])
  const started = jobs.filter(j => STARTED.has(j.state) && Date.parse(j.updatedAt) >= from)
  const bars = clip([...jobs.flatMap(plannedBars), ...(await details(started)).flatMap(j => ranBars(j, now))], from, to)
  const width = Math.max(720, main.clientWidth - 8)
  const x = (t: number) => LABEL_W + (Math.min(Math.max(t, from), to) - from) / (to - from) * (width - LABEL_W - 4)
  const heights = pools.map(p => Math.max(48, Math.min(140, p.gpuCount * 2)))
  const svg = s('svg', { class: 'timeline', width, height: heights.reduce((a, b) => a + b + 14, 28), role: 'img', 'aria-label': 'jobs per pool over time' })
  for (let day = Math.ceil(from / (24 * HOUR_MS)) * 24 * HOUR_MS; day < to; day += 24 * HOUR_MS) {
    svg.append(s('line', { class: 'day', x1: x(day), x2: x(day), y1: 16, y2: '100%' }),
      s('text', { class: 'axis', x: x(day) + 3, y: 12 }, new Date(day).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', timeZone: 'UTC' })))
  }
  let top = 24
  pools.forEach((pool, i) => {
    svg.append(lane(pool, pack(bars.filter(b => b.pool === pool.name)), x, top, heights[i]!))
    top += heights[i]! + 14
  })
  svg.append(s('line', { class: 'now', x1: x(now), x2: x(now), y1: 16, y2: '100%' }), s('text', { class: 'axis now-label', x: x(now) + 3, y: 22 }, 'now'))
  main.replaceChildren(
    h('h1', {}, 'Timeline'),
    h('p', { class: 'hint' }, `Jobs per pool from ${when(new Date(from).toISOString())} to ${when(new Date(to).toISOString())}; day lines at 00:00 UTC. `,
      h('span', { class: 'key planned' }, 'planned'), ' ', h('span', { class: 'key running' }, 'running'), ' ', h('span', { class: 'key finished' }, 'finished'),
      `. Each lane is the pool's capacity in GPUs, a box's height its GPUs; ${jobs.length} ${jobs.length === 1 ? 'job' : 'jobs'} read.`),
    h('div', { class: 'scroll' }, svg))
}

import { othersText, type LoadResult } from './intake-load.js'
import type { PgbenchResult } from './intake-pgbench.js'

/** Issue 11's targets: on PostgreSQL ≥ 25 % of pgbench with p99 ≤ 50 ms; on PGlite ≥ 250 jobs/s with p99 ≤ 100 ms; quotes p50 ≤ 2 ms. */
export const TARGETS = {
  postgres: { ratio: 0.25, p99Ms: 50 },
  pglite: { jobsPerSecond: 250, p99Ms: 100 },
  quoteP50Ms: 2
} as const

/** Everything measured at one queue depth. */
export interface DepthResult {
  depth: number
  prefillSeconds: number
  jobs: LoadResult
  quotes: LoadResult[]
  pgbench: PgbenchResult | undefined
}

/** The whole run, as `--json` prints it. */
export interface IntakeReport {
  database: 'postgres' | 'pglite'
  startedAt: string
  clients: number
  seconds: number
  depths: DepthResult[]
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US')
const ms = (x: number) => x < 10 ? x.toFixed(1) : x.toFixed(0)
const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)} %`

/** POST /v1/jobs' rate over pgbench's, or undefined without pgbench. */
export function ratioOf (d: DepthResult): number | undefined {
  return d.pgbench === undefined ? undefined : d.jobs.perSecond / d.pgbench.tps
}

function verdict (report: IntakeReport, d: DepthResult): string {
  if (report.database === 'pglite') {
    const t = TARGETS.pglite
    return d.jobs.perSecond >= t.jobsPerSecond && d.jobs.p99Ms <= t.p99Ms ? 'met' : 'missed'
  }
  const t = TARGETS.postgres
  return (ratioOf(d) ?? 0) >= t.ratio && d.jobs.p99Ms <= t.p99Ms ? 'met' : 'missed'
}

/** The markdown tables: jobs against pgbench (or the PGlite target), then quotes. */
export function markdown (report: IntakeReport): string {
  const pgbench = report.database === 'postgres'
  const target = pgbench
    ? `target: ≥ ${pct(TARGETS.postgres.ratio)} of pgbench, p99 ≤ ${TARGETS.postgres.p99Ms} ms`
    : `target: ≥ ${TARGETS.pglite.jobsPerSecond} jobs/s, p99 ≤ ${TARGETS.pglite.p99Ms} ms`
  const lines = [
    `POST /v1/jobs on ${report.database === 'postgres' ? 'PostgreSQL' : 'embedded PGlite'}, ${report.clients} keep-alive clients, ${report.seconds} s per depth, scheduler off (${target}):`,
    '',
    pgbench
      ? '| queue depth | POST /v1/jobs jobs/s | p50 / p99 ms | non-201 | pgbench tps | ratio | target |'
      : '| queue depth | POST /v1/jobs jobs/s | p50 / p99 ms | non-201 | target |',
    pgbench ? '|---|---|---|---|---|---|---|' : '|---|---|---|---|---|'
  ]
  for (const d of report.depths) {
    const head = `| ${n0(d.depth)} | ${d.jobs.perSecond.toFixed(1)} | ${ms(d.jobs.p50Ms)} / ${ms(d.jobs.p99Ms)} | ${othersText(d.jobs.others)} |`
    const ratio = ratioOf(d)
    lines.push(pgbench && d.pgbench !== undefined && ratio !== undefined
      ? `${head} ${n0(d.pgbench.tps)} | ${pct(ratio)} | ${verdict(report, d)} |`
      : `${head} ${verdict(report, d)} |`)
  }
  lines.push('', `POST /v1/quotes (target: p50 ≤ ${TARGETS.quoteP50Ms} ms):`, '',
    '| queue depth | clients | quotes/s | p50 / p99 ms | non-200 |', '|---|---|---|---|---|')
  for (const d of report.depths) {
    for (const q of d.quotes) lines.push(`| ${n0(d.depth)} | ${q.clients} | ${q.perSecond.toFixed(1)} | ${ms(q.p50Ms)} / ${ms(q.p99Ms)} | ${othersText(q.others)} |`)
  }
  return lines.join('\n') + '\n'
}

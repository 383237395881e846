import { setTimeout as delay } from 'node:timers/promises'
import { Pool } from 'undici'
import { HOUR_MS, MINUTE_MS } from '../src/core/types.js'
import { ADMIN_KEY } from './intake-service.js'

/** What one load phase measured. */
export interface LoadResult {
  clients: number
  seconds: number
  /** Answers with the expected status, per second. */
  perSecond: number
  p50Ms: number
  p99Ms: number
  ok: number
  /** Answers by status other than the expected one (or the failure's code), with their counts. */
  others: Record<string, number>
}

let serial = 0

/** A realistic submission: 1–4 GPUs for 30–120 min, due in 12–36 h, a unique name. */
export function jobBody (now: number, prefix: string): string {
  serial++
  const gpus = 1 + Math.floor(Math.random() * 4)
  const durationMinutes = 30 + Math.floor(Math.random() * 91)
  const deadline = new Date(now + 12 * HOUR_MS + Math.floor(Math.random() * 24 * HOUR_MS / MINUTE_MS) * MINUTE_MS).toISOString()
  return JSON.stringify({
    name: `${prefix}-${process.pid}-${serial}`, gpus, durationMinutes, deadline,
    command: ['python', 'train.py', '--lr', String(10 ** -(2 + Math.random() * 3))],
    labels: { team: 'bench', sweep: prefix }
  })
}

/** The quantile `q` (0–1) of sorted `xs`, nearest rank. */
export function quantile (sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** How a phase sends: `path`, a body per request, the status that counts, and an optional pace per client. */
export interface LoadPlan {
  url: string
  path: string
  body: () => string
  expect: number
  clients: number
  seconds: number
  /** Each client waits so that it starts at most this many requests per second (soak); unpaced when absent. */
  perClientRate?: number
  /** Told of each answer as it lands (soak: per-window counts). */
  onAnswer?: (status: number | string, ms: number) => void
  /** Given each expected answer's parsed body (soak: the ids of the jobs to cancel later); bodies are discarded without it. */
  onBody?: (body: unknown) => void
}

/**
 * `clients` loops over one undici Pool of as many keep-alive connections, each sending its next
 * request when the last is answered, for `seconds`; every latency is kept.
 */
export async function drive (plan: LoadPlan): Promise<LoadResult> {
  const pool = new Pool(plan.url, { connections: plan.clients, pipelining: 1, keepAliveTimeout: 60_000 })
  const latencies: number[] = []
  const others: Record<string, number> = {}
  const started = performance.now()
  const end = started + plan.seconds * 1000
  const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }
  const client = async (): Promise<void> => {
    for (let i = 0; performance.now() < end; i++) {
      if (plan.perClientRate !== undefined) {
        const due = started + i * 1000 / plan.perClientRate
        if (due > performance.now()) await delay(due - performance.now())
        if (performance.now() >= end) return
      }
      const t0 = performance.now()
      let status: number | string
      try {
        const res = await pool.request({ path: plan.path, method: 'POST', headers, body: plan.body(), headersTimeout: 30_000, bodyTimeout: 30_000 })
        if (plan.onBody !== undefined && res.statusCode === plan.expect) plan.onBody(await res.body.json())
        else await res.body.dump()
        status = res.statusCode
      } catch (err) {
        status = (err as { code?: string }).code ?? 'error'
      }
      const ms = performance.now() - t0
      if (status === plan.expect) latencies.push(ms)
      else others[String(status)] = (others[String(status)] ?? 0) + 1
      plan.onAnswer?.(status, ms)
    }
  }
  await Promise.all(Array.from({ length: plan.clients }, client))
  const seconds = (performance.now() - started) / 1000
  await pool.close()
  latencies.sort((a, b) => a - b)
  return {
    clients: plan.clients, seconds, perSecond: latencies.length / seconds,
    p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), ok: latencies.length, others
  }
}

/** Non-expected answers as `409×3, ECONNRESET×1`, or `none`. */
export function othersText (others: Record<string, number>): string {
  const entries = Object.entries(others)
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k}×${n}`).join(', ')
}

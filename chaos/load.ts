import { setTimeout as delay } from 'node:timers/promises'
import { call, labelOf, type Answer } from './http.js'
import { ADMIN_KEY, type Testbed } from './testbed.js'

/** A job greenshift accepted (201). */
export interface Accepted { id: string, key: string, at: number }

/** One answer to a submission. */
export interface Sample {
  /** When the request was sent, epoch ms. */
  at: number
  ms: number
  instance: string
  /** Status, or the failure (ECONNREFUSED, ECONNRESET, timeout …). */
  label: string
  retryAfter: string | null
  /** The body is application/problem+json. */
  problem: boolean
}

/** A submission load running until `stop`. */
export interface Load {
  readonly accepted: Accepted[]
  readonly samples: Sample[]
  /** Resolves when every job was submitted (or abandoned). */
  readonly done: Promise<void>
  stop: () => Promise<void>
}

/** How a scenario submits. */
export interface LoadOptions {
  /** Idempotency-Key prefix and job-name prefix. */
  prefix: string
  workers: number
  /** Pause of each worker after an accepted job, ms. */
  paceMs: number
  /** At most this many jobs in all. */
  count: number
  /** The job body for submission `i` (built once: a retry sends the same body with the same key). */
  job: (i: number) => Record<string, unknown>
}

const RETRY_CAP_MS = 2_000

/** What a retry waits: the answer's Retry-After (at most 2 s), else 0.5 s. */
function retryDelayMs (a: Answer): number {
  const retryAfter = a.ok && a.retryAfter !== null ? Number(a.retryAfter) * 1000 : NaN
  return Number.isFinite(retryAfter) ? Math.min(retryAfter, RETRY_CAP_MS) : 500
}

/** 408, 429, 5xx and no answer at all are worth sending again; other statuses are final. */
const retryable = (a: Answer): boolean => !a.ok || a.status >= 500 || a.status === 408 || a.status === 429

/**
 * Workers submit jobs to the instances in turn. A submission that gets no 201 (5xx, connection
 * refused, time-out) is sent again with the same body and Idempotency-Key after the answer's
 * Retry-After (at most 2 s) or 0.5 s, to the next instance, as a careful client would; it is
 * abandoned when the load stops. Each answer is a sample.
 */
class SubmissionLoad implements Load {
  readonly accepted: Accepted[] = []
  readonly samples: Sample[] = []
  readonly done: Promise<void>
  private readonly seen = new Set<string>()
  private stopped = false
  private next = 0
  private turn = 0

  constructor (private readonly bed: Testbed, private readonly o: LoadOptions) {
    this.done = Promise.all(Array.from({ length: o.workers }, async () => { await this.work() })).then(() => {})
  }

  async stop (): Promise<void> {
    this.stopped = true
    await this.done
  }

  private async work (): Promise<void> {
    while (!this.stopped && this.next < this.o.count) {
      await this.submit(this.next++)
      await delay(this.o.paceMs)
    }
  }

  private async submit (i: number): Promise<void> {
    const key = `${this.o.prefix}-${i}`
    const body = { name: key, ...this.o.job(i) }
    while (!this.stopped) {
      const instance = this.bed.instances[this.turn++ % this.bed.instances.length]
      if (instance === undefined) return
      const at = Date.now()
      const a = await call(`${instance.url}/v1/jobs`, { method: 'POST', body, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'idempotency-key': key }, timeoutMs: 15_000 })
      this.samples.push({ at, ms: a.ms, instance: instance.name, label: labelOf(a), retryAfter: a.ok ? a.retryAfter : null, problem: a.ok && a.contentType?.includes('problem+json') === true })
      if (a.ok && a.status === 201) {
        const id = (a.body as { id: string }).id
        if (!this.seen.has(id)) this.accepted.push({ id, key, at })
        this.seen.add(id)
        return
      }
      if (!retryable(a)) return
      await delay(retryDelayMs(a))
    }
  }
}

/** Starts submitting at once; see `SubmissionLoad`. */
export function startLoad (bed: Testbed, o: LoadOptions): Load {
  return new SubmissionLoad(bed, o)
}

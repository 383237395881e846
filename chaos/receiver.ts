import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { sign, verify } from '../src/executors/signing.js'
import type { Execution } from './executions.js'

/** What the receiver saw, besides the executions. */
export interface ReceiverStats {
  /** Signed `job.dispatch` messages accepted (repeats included). */
  deliveries: number
  /** Repeated deliveries of a message already taken (same `webhook-id`): dropped, as the README asks. */
  repeats: number
  badSignatures: number
  cancels: number
  /** Callbacks greenshift never accepted within the budget, with the last answer. */
  callbackFailures: string[]
  /** `finished` reports answered `applied: false` (greenshift had already closed or superseded the run). */
  notApplied: number
}

/** A webhook receiver on loopback that "runs" each job it is sent and reports back, signed. */
export interface Receiver {
  readonly url: string
  readonly executions: Execution[]
  readonly stats: ReceiverStats
  /** When each `<job>.<attempt>` was first delivered, epoch ms. */
  readonly firstDelivery: Map<string, number>
  /** Stops listening and cuts every connection: greenshift now gets connection refused. */
  down: () => Promise<void>
  /** Listens again on the same port. */
  up: () => Promise<void>
  /** Waits (at most `ms`) for the jobs being run and their reports. */
  settle: (ms: number) => Promise<void>
  close: () => Promise<void>
}

interface Dispatch { type: string, job: { id: string, attempt: number }, callbackUrl?: string }

async function readBody (req: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of req) text += String(chunk)
  return text
}

/**
 * Signs and POSTs one report to the callback URL, retrying network errors, 408, 429 and 5xx for up
 * to `budgetMs` (the instance behind the front may be restarting). Returns the answer's body, or
 * throws with the last status or error.
 */
async function report (secret: string, url: string, body: Record<string, unknown>, budgetMs: number): Promise<{ applied?: boolean }> {
  const text = JSON.stringify(body)
  const id = `${String(body.jobId)}.${String(body.attempt)}.${String(body.type)}`
  const end = Date.now() + budgetMs
  let last = ''
  for (let wait = 250; Date.now() < end; wait = Math.min(wait * 2, 5_000)) {
    try {
      const res = await fetch(url, {
        method: 'POST', body: text, signal: AbortSignal.timeout(10_000),
        headers: { 'content-type': 'application/json', ...sign(secret, id, Math.floor(Date.now() / 1000), text) }
      })
      const answer = await res.text()
      if (res.ok) return JSON.parse(answer) as { applied?: boolean }
      last = `HTTP ${res.status} ${answer.slice(0, 200)}`
      if (res.status < 500 && res.status !== 408 && res.status !== 429) break
    } catch (err) {
      last = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message
    }
    await delay(wait)
  }
  throw new Error(`${String(body.type)} report for ${id}: ${last}`)
}

/**
 * Verifies each message's Standard Webhooks signature (401 otherwise), takes a dispatch once per
 * `webhook-id` (202), then runs the job for `runMs`: a signed `started`, the work, a signed
 * `finished` with exit code 0. Each run is recorded as an execution.
 */
class WebhookReceiver implements Receiver {
  readonly executions: Execution[] = []
  readonly stats: ReceiverStats = { deliveries: 0, repeats: 0, badSignatures: 0, cancels: 0, callbackFailures: [], notApplied: 0 }
  readonly firstDelivery = new Map<string, number>()
  private readonly working = new Set<Promise<void>>()
  private server: Server | undefined
  private port = 0

  constructor (private readonly secret: string, private readonly runMs: number, private readonly callbackBudgetMs: number) {}

  get url (): string { return `http://127.0.0.1:${this.port}/jobs` }

  async up (): Promise<void> {
    const server = createServer((req, res) => { this.handle(req, res).catch(() => res.writeHead(400).end()) })
    await new Promise<void>(resolve => server.listen(this.port, '127.0.0.1', resolve))
    this.port = (server.address() as AddressInfo).port
    this.server = server
  }

  async down (): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server === undefined) return
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }

  async settle (ms: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.working]), delay(ms)])
  }

  async close (): Promise<void> { await this.down() }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req)
    const checked = verify(this.secret, req.headers, text, Math.floor(Date.now() / 1000))
    if (!checked.ok) {
      this.stats.badSignatures++
      res.writeHead(401).end(checked.detail)
      return
    }
    const message = JSON.parse(text) as Dispatch
    if (message.type === 'job.cancel') this.stats.cancels++
    else this.stats.deliveries++
    const key = `${message.job.id}.${message.job.attempt}`
    if (message.type === 'job.cancel' || this.firstDelivery.has(key)) {
      if (message.type !== 'job.cancel') this.stats.repeats++
      res.writeHead(200).end()
      return
    }
    this.firstDelivery.set(key, Date.now())
    res.writeHead(202).end()
    const work = this.run(message, message.callbackUrl ?? '')
    this.working.add(work)
    void work.finally(() => this.working.delete(work))
  }

  private async run (d: Dispatch, callbackUrl: string): Promise<void> {
    const run: Execution = { jobId: d.job.id, attempt: d.job.attempt, by: 'receiver', start: Date.now(), end: null }
    this.executions.push(run)
    const base = { jobId: d.job.id, attempt: d.job.attempt, startedAt: new Date(run.start).toISOString() }
    try {
      await report(this.secret, callbackUrl, { ...base, type: 'started' }, this.callbackBudgetMs)
      await delay(this.runMs)
      run.end = Date.now()
      const answer = await report(this.secret, callbackUrl, { ...base, type: 'finished', exitCode: 0, finishedAt: new Date(run.end).toISOString() }, this.callbackBudgetMs)
      if (answer.applied === false) this.stats.notApplied++
    } catch (err) {
      this.stats.callbackFailures.push((err as Error).message)
    }
  }
}

/** A receiver listening on a loopback port of its own; see `WebhookReceiver`. */
export async function startReceiver (secret: string, runMs: number, callbackBudgetMs: number): Promise<Receiver> {
  const receiver = new WebhookReceiver(secret, runMs, callbackBudgetMs)
  await receiver.up()
  return receiver
}

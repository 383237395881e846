import { setTimeout as delay } from 'node:timers/promises'
import { call, labelOf } from './http.js'
import { inMinutes } from './scenario.js'
import { ADMIN_KEY, type Testbed } from './testbed.js'

/** One quote's answer for a zone. */
export interface QuoteSample {
  zone: string
  /** When it was asked, epoch ms. */
  at: number
  ms: number
  label: string
  /** The plan's `expected.source` (e.g. `replay:zones-2022`), or null without a plan. */
  source: string | null
}

/** Quotes running until `stop`. */
export interface Quotes {
  readonly samples: QuoteSample[]
  stop: () => Promise<void>
}

/**
 * Every `everyMs`, quotes a 1-GPU, 1-hour job due in 6 hours in each zone's pool, all zones at
 * once, and records the answer, its time and the source the plan was made on.
 */
export function startQuotes (bed: Testbed, zones: ReadonlyArray<{ zone: string, pool: string }>, everyMs: number): Quotes {
  const samples: QuoteSample[] = []
  const pending = new Map<Promise<void>, { zone: string, at: number }>()
  let stopped = false
  const ask = async (zone: string, pool: string, at: number): Promise<void> => {
    const a = await call(`${bed.instances[0]?.url ?? ''}/v1/quotes`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` }, timeoutMs: 60_000,
      body: { name: 'chaos-quote', gpus: 1, durationMinutes: 60, deadline: inMinutes(360), pools: [pool] }
    })
    const source = a.ok && a.status === 200 ? (a.body as { plan?: { expected?: { source?: string } } }).plan?.expected?.source ?? null : null
    samples.push({ zone, at, ms: a.ms, label: labelOf(a), source })
  }
  const loop = (async () => {
    while (!stopped) {
      const round = Date.now()
      // A zone whose quote hangs must not hold up the others' next round: each round is not awaited as a whole.
      for (const { zone, pool } of zones) {
        const asked = ask(zone, pool, round)
        pending.set(asked, { zone, at: round })
        void asked.finally(() => pending.delete(asked))
      }
      await delay(Math.max(0, everyMs - (Date.now() - round)))
    }
  })()
  return {
    samples,
    stop: async () => {
      stopped = true
      await loop
      // The last round gets 5 s; a quote still unanswered then is recorded as such, with its wait so far.
      await Promise.race([Promise.allSettled([...pending.keys()]), delay(5_000)])
      for (const { zone, at } of pending.values()) samples.push({ zone, at, ms: Date.now() - at, label: 'no answer yet', source: null })
    }
  }
}

/** The first sample of `zone` at or after `since` planned on a source starting with `prefix`. */
export function firstPlanOn (samples: readonly QuoteSample[], zone: string, since: number, prefix: string): QuoteSample | undefined {
  return samples.filter(s => s.zone === zone && s.at >= since && s.source?.startsWith(prefix) === true).sort((a, b) => a.at - b.at)[0]
}

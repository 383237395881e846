import type { Instant, Series, Signal } from '../../src/core/types.js'
import type { IntensityProvider } from '../../src/providers/provider.js'

/** Timers the test fires itself, so what a budget cuts off never depends on the machine's speed. */
export interface ManualTimers {
  /** Stands in for `AbortSignal.timeout`: records `ms` and returns a signal that aborts only when fired. */
  timeout: (ms: number) => AbortSignal
  /** The budgets asked for so far, ms, in order. */
  asked: () => number[]
  /** Fires timer `i` (default: the last one made) as a real timeout would. */
  fire: (i?: number) => void
  /** Fires every timer made so far. */
  fireAll: () => void
  /** Resolves once `n` timers have been made. */
  made: (n: number) => Promise<void>
}

export function manualTimers (): ManualTimers {
  const made: Array<{ ms: number, controller: AbortController }> = []
  let waiters: Array<() => void> = []
  return {
    timeout: ms => {
      const controller = new AbortController()
      made.push({ ms, controller })
      const woken = waiters
      waiters = []
      for (const wake of woken) wake()
      return controller.signal
    },
    asked: () => made.map(m => m.ms),
    fire: (i = made.length - 1) => { made[i]?.controller.abort(new DOMException('timed out (test)', 'TimeoutError')) },
    fireAll: () => { for (const m of made) m.controller.abort(new DOMException('timed out (test)', 'TimeoutError')) },
    made: async n => { while (made.length < n) await new Promise<void>(resolve => waiters.push(resolve)) }
  }
}

/** A provider that never answers: it fails only when its signal aborts (`deaf`: not even then). */
export interface HangingProvider extends IntensityProvider {
  calls: number
  /** Resolves once it has been called `n` times. */
  called: (n?: number) => Promise<void>
}

export function hangingProvider (id: string, signal: Signal = 'average', deaf = false): HangingProvider {
  let waiters: Array<() => void> = []
  const hang = async (_zone: string, _from: Instant, _to: Instant, abort?: AbortSignal): Promise<Series> => {
    provider.calls++
    const woken = waiters
    waiters = []
    for (const wake of woken) wake()
    return await new Promise<Series>((_resolve, reject) => {
      if (!deaf) abort?.addEventListener('abort', () => { reject(new Error(`${id}: aborted while waiting for an answer`)) }, { once: true })
    })
  }
  const provider: HangingProvider = {
    id,
    signal,
    calls: 0,
    forecast: hang,
    actuals: hang,
    called: async (n = 1) => { while (provider.calls < n) await new Promise<void>(resolve => waiters.push(resolve)) }
  }
  return provider
}

import { describe, expect, it } from 'vitest'
import type { Instant, IntensityPoint, Series, Signal } from '../../src/core/types.js'
import { asChain, ProviderChain } from '../../src/providers/chain.js'
import { ProviderError, type IntensityProvider } from '../../src/providers/provider.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2026, 10, 23, 10)

/** Hourly points of `value` over [from, to). */
function hourly (from: Instant, to: Instant, value: number): IntensityPoint[] {
  const out: IntensityPoint[] = []
  for (let t = from; t < to; t += HOUR) out.push({ start: t, end: Math.min(t + HOUR, to), gPerKwh: value })
  return out
}

interface Fake extends IntensityProvider { calls: number }

/** A provider that answers `hours` hours from `from` with `value` (throws for 'down'), counting calls. */
function fake (id: string, signal: Signal, behaviour: number | 'down', value = 100, region = `${id}-region`): Fake {
  const answer = async (zone: string, from: Instant, to: Instant): Promise<Series> => {
    provider.calls++
    if (behaviour === 'down') throw new ProviderError(id, zone, 'unavailable', `${id}: HTTP 500`)
    return { zone, signal, source: `${id}:${region}`, points: hourly(from, Math.min(to, from + behaviour * HOUR), value) }
  }
  const provider: Fake = { id, signal, calls: 0, forecast: answer, actuals: answer }
  return provider
}

/** A clock that moves 250 ms each time it is read, so durations and times are known. */
function ticking (start = T0) {
  let t = start - 250
  return () => (t += 250)
}

const chainOf = (...providers: Fake[]) =>
  new ProviderChain({ members: providers.map(provider => ({ provider, region: `${provider.id}-region` })), now: ticking() })

describe('ProviderChain order', () => {
  it('uses the first provider that answers fully and asks no further', async () => {
    const a = fake('a', 'average', 48)
    const b = fake('b', 'average', 48)
    const { series, attempts } = await chainOf(a, b).fetch('forecast', 'Z', T0, T0 + 48 * HOUR)
    expect(series?.source).toBe('a:a-region')
    expect(attempts).toEqual([{ provider: 'a', region: 'a-region', kind: 'forecast', outcome: 'ok', points: 48, durationMs: 250 }])
    expect(b.calls).toBe(0)
  })

  it('falls to the next provider on an error, in the configured order', async () => {
    const a = fake('a', 'average', 'down')
    const b = fake('b', 'average', 'down')
    const c = fake('c', 'average', 48)
    const d = fake('d', 'average', 48)
    const { series, attempts } = await chainOf(a, b, c, d).fetch('forecast', 'Z', T0, T0 + 48 * HOUR)
    expect(series?.source).toBe('c:c-region')
    expect(attempts.map(x => [x.provider, x.outcome, x.error])).toEqual([['a', 'error', 'a: HTTP 500'], ['b', 'error', 'b: HTTP 500'], ['c', 'ok', undefined]])
    expect(d.calls).toBe(0)
  })

  it('throws one ProviderError naming every provider when all fail', async () => {
    const chain = chainOf(fake('a', 'average', 'down'), fake('b', 'average', 0))
    expect((await chain.fetch('forecast', 'Z', T0, T0 + HOUR)).series).toBeUndefined()
    const err = await chain.forecast('Z', T0, T0 + HOUR).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err).toMatchObject({ provider: 'a', zone: 'Z', code: 'unavailable' })
    expect((err as Error).message).toContain('a: a: HTTP 500; b: no forecast points')
  })

  it('stops when the caller aborts instead of asking the rest', async () => {
    const controller = new AbortController()
    const a: Fake = { ...fake('a', 'average', 1), forecast: async () => { controller.abort(); throw new Error('aborted') } }
    const b = fake('b', 'average', 48)
    const { attempts } = await chainOf(a, b).fetch('forecast', 'Z', T0, T0 + 48 * HOUR, { signal: controller.signal })
    expect(attempts).toHaveLength(1)
    expect(b.calls).toBe(0)
  })
})

describe('ProviderChain gaps', () => {
  it('treats an empty forecast, or one reaching less than 2 h ahead, as a gap', async () => {
    const { series, attempts } = await chainOf(fake('empty', 'average', 0), fake('short', 'average', 1), fake('good', 'average', 2))
      .fetch('forecast', 'Z', T0, T0 + 48 * HOUR)
    expect(attempts.map(x => [x.provider, x.outcome])).toEqual([['empty', 'gap'], ['short', 'gap'], ['good', 'ok']])
    expect(attempts[1]?.error).toBe(`forecast ends at ${new Date(T0 + HOUR).toISOString()}, before ${new Date(T0 + 2 * HOUR).toISOString()}`)
    expect(series?.source).toBe('good:good-region')
  })

  it('accepts a short forecast when the range asked for is shorter than 2 h', async () => {
    const { attempts } = await chainOf(fake('a', 'average', 1)).fetch('forecast', 'Z', T0, T0 + HOUR)
    expect(attempts[0]?.outcome).toBe('ok')
  })

  it('treats actuals covering less than 90 % of the range as a gap', async () => {
    const thin = fake('thin', 'average', 43) // 43 of 48 h = 89.6 %
    const enough = fake('enough', 'average', 44) // 91.7 %
    const { series, attempts } = await chainOf(thin, enough).fetch('actuals', 'Z', T0, T0 + 48 * HOUR)
    expect(attempts.map(x => [x.provider, x.outcome, x.error])).toEqual([
      ['thin', 'gap', `actuals cover 90 % of [${new Date(T0).toISOString()}, ${new Date(T0 + 48 * HOUR).toISOString()})`],
      ['enough', 'ok', undefined]
    ])
    expect(series?.points).toHaveLength(44)
  })

  it('uses the longest partial answer when no provider answers fully', async () => {
    const { series, attempts } = await chainOf(fake('one', 'average', 1, 10), fake('down', 'average', 'down'), fake('half', 'average', 1.5, 20))
      .fetch('forecast', 'Z', T0, T0 + 48 * HOUR)
    expect(attempts.map(x => x.outcome)).toEqual(['gap', 'error', 'gap'])
    expect(series?.source).toBe('half:half-region')
  })
})

describe('ProviderChain signals and status', () => {
  it('labels a fall to another signal: the series carries the answering provider\'s signal and source', async () => {
    const chain = chainOf(fake('watttime', 'marginal', 'down', 0, 'CAISO_NORTH'), fake('replay', 'average', 48, 250))
    expect(chain.signal).toBe('marginal')
    expect(chain.id).toBe('watttime')
    const series = await chain.forecast('Z', T0, T0 + 48 * HOUR)
    expect(series).toMatchObject({ signal: 'average', source: 'replay:replay-region' })
    expect(series.points[0]?.gPerKwh).toBe(250)
  })

  it('status() records each provider\'s last success and last error, and who answered each kind', async () => {
    const flaky = fake('flaky', 'marginal', 48)
    const chain = chainOf(flaky, fake('backup', 'average', 48))
    await chain.fetch('forecast', 'Z', T0, T0 + 48 * HOUR) // flaky answers at T0 + 250 ms
    Object.assign(flaky, { forecast: async () => { throw new Error('HTTP 503') } })
    await chain.fetch('forecast', 'Z', T0, T0 + 48 * HOUR) // flaky fails, backup answers
    const status = chain.status()
    expect(status.members).toEqual([
      { provider: 'flaky', region: 'flaky-region', signal: 'marginal', lastSuccessAt: T0 + 250, lastErrorAt: T0 + 750, lastError: 'forecast: HTTP 503' },
      { provider: 'backup', region: 'backup-region', signal: 'average', lastSuccessAt: T0 + 1250, lastErrorAt: null, lastError: null }
    ])
    expect(status.answered).toEqual({ forecast: { provider: 'backup', source: 'backup:backup-region', signal: 'average', at: T0 + 1250 }, actuals: null })
  })

  it('asChain wraps a plain provider once and returns a chain as it is', () => {
    const plain = fake('csv', 'average', 48)
    const chain = chainOf(plain)
    expect(asChain(chain)).toBe(chain)
    expect(asChain(plain)).toBe(asChain(plain))
    expect(asChain(plain).members.map(m => m.provider)).toEqual([plain])
    expect(() => new ProviderChain({ members: [] })).toThrow('at least one provider')
  })
})

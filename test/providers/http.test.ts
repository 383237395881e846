import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_HTTP, endpoint, retryAfterMs, safeUrl, send, sendJson, withDefaults, type HttpOptions, type HttpRequest } from '../../src/providers/http.js'
import { ProviderError } from '../../src/providers/provider.js'

const ORIGIN = 'https://grid.test'
const SECRET = 'header-secret-91b2'

let agent: MockAgent

/** A MockAgent whose `reply` queues one answer on /data; options with a recorded sleep and fixed jitter. */
function server (random: () => number = () => 0.5, http: Partial<HttpOptions> = {}) {
  agent = new MockAgent()
  agent.disableNetConnect()
  const sleeps: number[] = []
  const seen: Array<Record<string, string>> = []
  const reply = (status: number, body = '', headers: Record<string, string> = {}) =>
    agent.get(ORIGIN).intercept({ path: '/data?zone=DE' }).reply(opts => {
      seen.push({ ...opts.headers as Record<string, string> })
      return { statusCode: status, data: body, responseOptions: { headers } }
    })
  const opts = withDefaults({ dispatcher: agent, sleep: async (ms: number) => { sleeps.push(ms) }, random, baseDelayMs: 100, maxDelayMs: 1000, ...http })
  const req = (extra: Partial<HttpRequest> = {}): HttpRequest =>
    ({ provider: 'grid', zone: 'DE', url: new URL(`${ORIGIN}/data?zone=DE`), headers: { 'x-api-key': SECRET }, ...extra })
  return { sleeps, seen, reply, opts, req }
}

async function failure (call: Promise<unknown>): Promise<ProviderError> {
  const err = await call.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`)
  expect(err.message).not.toContain(SECRET)
  return err
}

afterEach(async () => {
  if (agent === undefined) return
  agent.assertNoPendingInterceptors()
  await agent.close()
})

describe('retryAfterMs', () => {
  const NOW = Date.parse('2015-10-21T07:28:00Z')

  it.each([
    ['7', 7000], [' 2.5 ', 2500], ['0', 0], [['3', '9'], 3000],
    ['Wed, 21 Oct 2015 07:28:05 GMT', 5000], ['Wed, 21 Oct 2015 07:27:00 GMT', 0],
    ['0x10', 0], ['-5', 0], ['soon', 0], ['', 0], [undefined, 0]
  ])('reads %j as %i ms', (value, ms) => {
    expect(retryAfterMs(value, NOW)).toBe(ms)
  })
})

describe('helpers', () => {
  it('merges options over the defaults, ignoring keys set to undefined', () => {
    const sleep = async (): Promise<void> => {}
    expect(withDefaults({ timeoutMs: 50, retries: undefined, sleep })).toEqual({ ...DEFAULT_HTTP, timeoutMs: 50, sleep })
    expect(withDefaults()).toEqual(DEFAULT_HTTP)
  })

  it('joins a base URL with a path prefix or trailing slash, a path and query parameters', () => {
    expect(endpoint('https://proxy.test/em//', '/v3/x', { zone: 'DE', a: 'b c' }).href).toBe('https://proxy.test/em/v3/x?zone=DE&a=b+c')
    expect(endpoint('https://api.watttime.org', '/login').href).toBe('https://api.watttime.org/login')
  })

  it('masks secret-looking query values and drops user:password from URLs it prints', () => {
    const url = new URL('https://user:pw@h.test/p?zone=DE&api_key=k1&token=t2&auth-token=t3&Password=p4')
    expect(safeUrl(url)).toBe('https://h.test/p?zone=DE&api_key=***&token=***&auth-token=***&Password=***')
  })

  it('default sleep rejects at once on an already aborted signal and on an abort while waiting', async () => {
    await expect(DEFAULT_HTTP.sleep(60_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone')
    const ctl = new AbortController()
    const waiting = DEFAULT_HTTP.sleep(60_000, ctl.signal)
    ctl.abort(new Error('stopped'))
    await expect(waiting).rejects.toThrow('stopped')
    await expect(DEFAULT_HTTP.sleep(1)).resolves.toBeUndefined()
  })
})

describe('send', () => {
  it('backs off exponentially with full jitter, capped at maxDelayMs', async () => {
    const draws = [0.1, 0.5, 0.9, 0.9]
    const { sleeps, reply, opts, req } = server(() => draws.shift() ?? 0, { retries: 4, baseDelayMs: 100, maxDelayMs: 300 })
    for (let i = 0; i < 4; i++) reply(503)
    reply(200, 'ok')
    expect((await send(req(), opts)).text).toBe('ok')
    // Caps 100, 200, 300 (not 400), 300 (not 800) ms, each times its draw.
    expect(sleeps).toEqual([10, 100, 270, 270])
  })

  it('waits for Retry-After when it is longer than the backoff', async () => {
    const { sleeps, reply, opts, req } = server()
    reply(429, '', { 'retry-after': '1' })
    reply(503, '', { 'retry-after': new Date(Date.now() + 60_000).toUTCString() })
    reply(200)
    // 1 s beats the 50 ms backoff; so does an HTTP date a minute ahead (with maxDelayMs raised to 2 min).
    await send(req(), { ...opts, maxDelayMs: 120_000 })
    expect(sleeps[0]).toBe(1000)
    expect(sleeps[1]).toBeGreaterThan(58_000)
  })

  it('fails at once, with the wait, when Retry-After exceeds maxDelayMs (an early retry earns another 429)', async () => {
    const { sleeps, seen, reply, opts, req } = server()
    reply(429, 'slow down', { 'retry-after': '120' })
    const err = await failure(send(req(), opts))
    expect([err.code, err.retryAfterMs, seen.length, sleeps]).toEqual(['rate-limited', 120_000, 1, []])
  })

  it('returns statuses in the accept list and throws others at once with a stable code', async () => {
    const { sleeps, reply, opts, req } = server()
    reply(401, 'expired')
    expect((await send(req({ accept: [401] }), opts)).status).toBe(401)
    for (const [status, code] of [[401, 'unauthorized'], [403, 'unauthorized'], [404, 'unknown-zone'], [400, 'bad-data']] as const) {
      reply(status, 'nope')
      const err = await failure(send(req(), opts))
      expect([err.code, err.provider, err.zone]).toEqual([code, 'grid', 'DE'])
      expect(err.message).toBe(`grid (zone DE) GET https://grid.test/data?zone=DE: HTTP ${status}: nope`)
    }
    expect(sleeps).toEqual([])
  })

  it('retries network errors and reports unavailable after the last one', async () => {
    const { sleeps, opts, req } = server(() => 0.5, { retries: 2 })
    for (let i = 0; i < 3; i++) agent.get(ORIGIN).intercept({ path: '/data?zone=DE' }).replyWithError(new Error('ECONNRESET'))
    const err = await failure(send(req(), opts))
    expect([err.code, sleeps.length]).toEqual(['unavailable', 2])
    expect(err.message).toContain('ECONNRESET')
  })

  it('times out each attempt after timeoutMs', async () => {
    const { reply, opts, req } = server(() => 0.5, { timeoutMs: 20, retries: 0 })
    reply(200, 'late').delay(500)
    const err = await failure(send(req(), opts))
    expect([err.code, err.message]).toEqual(['timeout', 'grid (zone DE) GET https://grid.test/data?zone=DE: no answer within 20 ms'])
  })

  it('stops when the caller aborts, before a request or while waiting to retry (keeping what failed last)', async () => {
    const { reply, opts, req } = server()
    const before = await failure(send(req({ signal: AbortSignal.abort() }), opts))
    expect([before.code, before.message]).toEqual(['timeout', expect.stringContaining('aborted by the caller')])
    reply(503)
    const ctl = new AbortController()
    // The caller gives up as the retry wait begins: the real sleep must end at once, not in 60 s.
    const sleep: HttpOptions['sleep'] = async (ms, signal) => { ctl.abort(); await DEFAULT_HTTP.sleep(ms, signal) }
    const during = await failure(send(req({ signal: ctl.signal }), { ...opts, sleep, baseDelayMs: 60_000, maxDelayMs: 60_000 }))
    expect([during.code, during.message]).toEqual(['unavailable', expect.stringMatching(/HTTP 503.*the caller's budget ran out before retry 1$/)])
  })

  it('sends accept: application/json and the caller headers', async () => {
    const { seen, reply, opts, req } = server()
    reply(200, '{"a":1}')
    expect((await sendJson(req(), opts)).body).toEqual({ a: 1 })
    expect(seen[0]).toEqual({ accept: 'application/json', 'x-api-key': SECRET })
  })

  it('parses an empty body as null and a malformed one as bad-data', async () => {
    const { reply, opts, req } = server()
    reply(200, '')
    expect((await sendJson(req(), opts)).body).toBeNull()
    reply(200, '{"a":')
    const err = await failure(sendJson(req(), opts))
    expect([err.code, err.message]).toEqual(['bad-data', 'grid (zone DE) GET https://grid.test/data?zone=DE: body is not JSON: {"a":'])
  })
})

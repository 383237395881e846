import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { CarbonIntensityUkProvider } from '../../src/providers/carbonintensity-uk.js'
import { ProviderChain } from '../../src/providers/chain.js'
import { quoteJob } from '../../src/scheduler/quote.js'
import { HOUR, NOW, useTestApp } from '../support/app.js'
import { manualTimers } from '../support/hang.js'

const t = useTestApp()

type Fault = 'hang' | '500' | 'garbage'

/** A stand-in for the UK API on 127.0.0.1 with one fault: it never answers, answers 500, or sends a body that is no intensity series. */
async function faultyApi (fault: Fault) {
  const open: ServerResponse[] = []
  let wake: () => void = () => {}
  const asked = new Promise<void>(resolve => { wake = resolve })
  const handle = (_req: IncomingMessage, res: ServerResponse) => {
    wake()
    if (fault === 'hang') { open.push(res); return }
    if (fault === '500') { res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"500 Internal Server Error","message":"test"}}'); return }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"from":"soon","to":"later","intensity":"low"}]}')
  }
  const server: Server = createServer(handle)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked }
}

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise(resolve => s.close(resolve))
  }
})

const spec = { name: 'q', gpus: 2, durationMinutes: 120, deadline: new Date(NOW + 20 * HOUR).toISOString(), pools: ['gpu-north'] }

for (const [fault, outcome] of [['hang', 'timeout'], ['500', 'error'], ['garbage', 'error']] as const) {
  test(`a UK API that ${fault === 'hang' ? 'never answers' : fault === '500' ? 'answers 500' : 'sends garbage'}, chained before an hourly source: a quote with nothing stored plans on the fallback`, async () => {
    const { deps } = t()
    const api = await faultyApi(fault)
    const timers = manualTimers()
    deps.fetchBudgets = { timeout: timers.timeout }
    // The real client over real HTTP; no retries, so a 500 or garbage fails at its first answer, and
    // no attempt timeout of its own, so only the chain's (test-fired) budget ends a hang.
    const uk = new CarbonIntensityUkProvider({ region: 'national', baseUrl: api.baseUrl, http: { retries: 0, timeoutMs: 600_000 } })
    deps.providers.set('NORTH', new ProviderChain({ members: [{ provider: uk }, { provider: deps.providers.get('NORTH')! }] }))
    const quoting = quoteJob(deps, spec, NOW)
    await api.asked
    if (fault === 'hang') timers.fire(0)
    const { plan } = await quoting
    expect(plan.expected.source).toMatch(/^csv:north\.csv@sha256:/)
    const members = (deps.providers.get('NORTH') as ProviderChain).status().members
    expect(members[0]?.lastError).toMatch(outcome === 'timeout' ? /^forecast: timeout: no answer within 2500 ms/ : /^forecast: carbonintensity-uk .*(HTTP 500|unexpected body)/)
    expect(members[1]?.lastSuccessAt).not.toBeNull()
  })
}

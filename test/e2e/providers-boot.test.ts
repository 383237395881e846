import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { serve } from '../../src/main.js'

const HOUR = 3_600_000
const ADMIN = 'gs_e2e_admin_key_0123456789abcdef'
const SECRETS = { ELECTRICITYMAPS_TOKEN: 'em-e2e-token', WATTTIME_USERNAME: 'wt-e2e-user', WATTTIME_PASSWORD: 'wt-e2e-pass' }
const fixture = (name: string) => readFileSync(new URL(`../fixtures/providers/e2e/${name}`, import.meta.url), 'utf8')

/** Every ISO-like timestamp, with or without seconds, fraction and zone (EDS stamps carry none). */
const STAMP = /(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?/g

/** The body with every timestamp moved by `deltaMs` (whole minutes), each kept in its own format. */
function shiftTimes (text: string, deltaMs: number): string {
  return text.replace(STAMP, (_all, y: string, mo: string, d: string, h: string, mi: string, sec = '', zone = '') =>
    `${new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi) + deltaMs).toISOString().slice(0, 16)}${sec}${zone}`)
}

interface Route { file: string, first: (body: any) => string } // eslint-disable-line @typescript-eslint/no-explicit-any
/** Forecast routes by path prefix, each with the timestamp that is moved to the current hour. */
const ROUTES: Array<[RegExp, Route]> = [
  [/^\/v3\/carbon-intensity\/forecast$/, { file: 'electricitymaps-forecast.json', first: b => b.forecast[0].datetime }],
  [/^\/v3\/forecast$/, { file: 'watttime-forecast.json', first: b => b.data[0].point_time }],
  // The first UK period ends at {from}, as the API's do.
  [/^\/intensity\/[^/]+\/fw48h$/, { file: 'carbonintensity-uk-fw24h.json', first: b => b.data[0].to }],
  [/^\/dataset\/CO2EmisProg$/, { file: 'energidataservice-CO2EmisProg.24h.synthetic.json', first: b => `${b.records[0].Minutes5UTC}Z` }],
  [/^\/emissions\/forecasts\/current$/, { file: 'carbon-aware-sdk-forecasts-current.synthetic.json', first: b => b[0].forecastData[0].timestamp }]
]

/** A stand-in for all five APIs on 127.0.0.1: recorded bodies, or 500s once `down` is set. */
function providerServer () {
  const state = { down: false, requests: [] as string[] }
  const send = (res: ServerResponse, status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body)
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    state.requests.push(url.pathname)
    if (state.down) return send(res, 500, '{"error":{"code":"500 Internal Server Error","message":"test outage"}}')
    if (url.pathname === '/login') {
      const basic = `Basic ${Buffer.from(`${SECRETS.WATTTIME_USERNAME}:${SECRETS.WATTTIME_PASSWORD}`).toString('base64')}`
      return req.headers.authorization === basic ? send(res, 200, fixture('watttime-login.json')) : send(res, 403, '{"error":"bad credentials"}')
    }
    if (url.pathname.startsWith('/v3/carbon-intensity') && req.headers['auth-token'] !== SECRETS.ELECTRICITYMAPS_TOKEN) {
      return send(res, 401, '{"error":"Invalid auth-token"}')
    }
    const route = ROUTES.find(([path]) => path.test(url.pathname))?.[1]
    if (route === undefined) return send(res, 404, '{"error":"not recorded for this test"}')
    const text = fixture(route.file)
    const hour = Math.floor(Date.now() / HOUR) * HOUR
    send(res, 200, shiftTimes(text, hour - Date.parse(route.first(JSON.parse(text)))))
  }
  return { state, server: createServer(handle) }
}

const ZONES = {
  'DK-DK2': { provider: 'electricitymaps', region: 'DK-DK2', replay: 'DE', source: 'electricitymaps:DK-DK2:lifecycle', signal: 'average' },
  CAISO: { provider: 'watttime', region: 'CAISO_NORTH', replay: 'US-CAL-CISO', source: 'watttime:CAISO_NORTH:co2_moer', signal: 'marginal' },
  GB: { provider: 'carbonintensity-uk', region: 'national', replay: 'GB', source: 'carbonintensity-uk:national', signal: 'average' },
  DK2: { provider: 'energidataservice', region: 'DK2', replay: 'NL', source: 'energidataservice:DK2', signal: 'average' },
  IE: { provider: 'carbon-aware-sdk', region: 'northeurope', replay: 'IE', source: 'carbon-aware-sdk:northeurope', signal: 'average' }
}

/** Five zones, each a chain: the real provider at the local server, then a replay of 2022. */
function configFile (baseUrl: string): string {
  const zones = Object.fromEntries(Object.entries(ZONES).map(([zone, z]) => [zone, {
    providers: [{ provider: z.provider, region: z.region, baseUrl }, { provider: 'replay', dataset: 'zones-2022', region: z.replay }],
    refreshMinutes: 30
  }]))
  const pools = Object.keys(ZONES).map(zone => ({
    name: `gpu-${zone.toLowerCase()}`, zone, gpuModel: 'A100-SXM4-80GB', gpuCount: 8, wattsPerGpu: 400, pue: 1.2, executor: { kind: 'agent' }
  }))
  return JSON.stringify({ zones, pools })
}

let dir: string
let stub: ReturnType<typeof providerServer>
let baseUrl: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-e2e-'))
  stub = providerServer()
  await new Promise<void>(resolve => stub.server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`
  writeFileSync(join(dir, 'greenshift.json'), configFile(baseUrl))
})

afterAll(async () => {
  await new Promise(resolve => stub.server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

/** Boots the service with only env vars and the config file, submits one job per zone, returns the plans and zones. */
async function bootAndPlan () {
  const service = await serve({
    ...SECRETS, GREENSHIFT_CONFIG: join(dir, 'greenshift.json'), GREENSHIFT_DATA_DIR: 'memory://', PORT: '0', HOST: '127.0.0.1',
    GREENSHIFT_ADMIN_KEY: ADMIN, LOG_LEVEL: 'silent', GREENSHIFT_TICK_SECONDS: '3600'
  })
  try {
    const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
    type Planned = { state: string, plan: { expected: { source: string, signal: string }, segments: Array<{ end: string }> } }
    const plans = new Map<string, Planned>()
    const deadline = new Date(Date.now() + 20 * HOUR).toISOString()
    for (const zone of Object.keys(ZONES)) {
      const body = { name: `train-${zone}`, command: ['train'], gpus: 2, durationMinutes: 60, deadline, pools: [`gpu-${zone.toLowerCase()}`] }
      const res = await fetch(`${service.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify(body) })
      expect(res.status).toBe(201)
      plans.set(zone, await res.json() as Planned)
    }
    const zones = await (await fetch(`${service.url}/v1/zones`, { headers })).json() as Array<Record<string, any>> // eslint-disable-line @typescript-eslint/no-explicit-any
    const metrics = await (await fetch(`${service.url}/metrics`)).text()
    return { plans, zones, metrics }
  } finally {
    await service.close()
  }
}

test('boots with all five providers configured and plans against each through the real HTTP stack', async () => {
  stub.state.down = false
  const { plans, zones, metrics } = await bootAndPlan()
  for (const [zone, z] of Object.entries(ZONES)) {
    const job = plans.get(zone)
    expect(job?.state, zone).toBe('planned')
    // The plan's source names its version: the fetch time of the API's answer.
    expect(job?.plan.expected, zone).toMatchObject({ source: expect.stringMatching(new RegExp(`^${z.source}@\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`)), signal: z.signal })
    expect(Date.parse(job?.plan.segments.at(-1)?.end ?? '')).toBeLessThanOrEqual(Date.now() + 20 * HOUR)
    const view = zones.find(v => v.name === zone)
    expect(view?.chain.map((m: { provider: string, region: string }) => [m.provider, m.region]), zone).toEqual([[z.provider, z.region], ['replay', z.replay]])
    expect(view?.forecast, zone).toMatchObject({ answeredBy: z.provider, source: z.source, lastError: null, ageSeconds: expect.any(Number) })
  }
  expect(stub.state.requests).toContain('/login')
  expect(metrics).toContain('greenshift_provider_fetch_total{provider="watttime",zone="CAISO",kind="forecast",outcome="ok"} 1')
}, 60_000)

test('when the providers return 500s, jobs are still planned, labelled with the next provider of each chain', async () => {
  stub.state.down = true
  const { plans, zones, metrics } = await bootAndPlan()
  for (const [zone, z] of Object.entries(ZONES)) {
    expect(plans.get(zone)?.state, zone).toBe('planned')
    expect(plans.get(zone)?.plan.expected, zone).toMatchObject({ source: expect.stringMatching(/^replay:zones-2022@sha256:[0-9a-f]{16}$/), signal: 'average' })
    const view = zones.find(v => v.name === zone)
    expect(view?.signal, zone).toBe(z.signal)
    expect(view?.forecast, zone).toMatchObject({ answeredBy: 'replay', signal: 'average', lastError: null })
    expect(view?.chain[0].lastError, zone).toContain('HTTP 500')
  }
  expect(metrics).toContain('greenshift_provider_fetch_total{provider="electricitymaps",zone="DK-DK2",kind="forecast",outcome="error"} 1')
}, 60_000)

import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** How the fake UK Carbon Intensity API answers one zone's requests. */
export type ProviderMode =
  /** 30-minute periods, as the real API. */
  | 'half-hourly'
  /** The same API shape in hourly periods: a provider that changed its resolution. */
  | 'hourly'
  /** Accepts the request and never answers. */
  | 'hang'
  /** 500 with the API's error body. */
  | 'error'
  /** 200 with a body cut off in the middle of a JSON value. */
  | 'garbage'

/** A fake https://api.carbonintensity.org.uk on loopback; each zone's `baseUrl` is `url/<key>`. */
export interface ProviderServer {
  readonly url: string
  setMode: (key: string, mode: ProviderMode) => void
  /** Requests per key, as received. */
  readonly requests: Map<string, number>
  close: () => Promise<void>
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const apiTime = (t: number) => new Date(t).toISOString().slice(0, 16) + 'Z'

/** A daily wave between 90 and 250 gCO2/kWh, plus a half-hour wobble, so windows differ. */
const intensityAt = (t: number) => Math.round(170 + 80 * Math.sin((2 * Math.PI * t) / (24 * HOUR)) + ((t / (30 * MINUTE)) % 2 === 0 ? 0 : 7))

/** Periods of `stepMs` covering [from − step, to), as the API returns (the first one ends at {from}). */
function periods (from: number, to: number, stepMs: number): object[] {
  const first = Math.floor(from / stepMs) * stepMs - stepMs
  const out: object[] = []
  for (let t = first; t < to && out.length < 2_000; t += stepMs) {
    const value = intensityAt(t)
    out.push({ from: apiTime(t), to: apiTime(t + stepMs), intensity: { forecast: value, actual: t + stepMs <= Date.now() ? value : null, index: 'moderate' } })
  }
  return out
}

/** `/intensity/{from}/fw48h` or `/intensity/{from}/{to}` → the range asked for; undefined for another path. */
function rangeOf (path: string): [number, number] | undefined {
  const m = /^\/intensity\/([^/]+)\/([^/]+)$/.exec(path)
  if (m === null) return undefined
  const from = Date.parse(decodeURIComponent(m[1] ?? ''))
  const to = m[2] === 'fw48h' ? from + 48 * HOUR : Date.parse(decodeURIComponent(m[2] ?? ''))
  return Number.isFinite(from) && Number.isFinite(to) ? [from, to] : undefined
}

export async function startProviderServer (): Promise<ProviderServer> {
  const modes = new Map<string, ProviderMode>()
  const requests = new Map<string, number>()
  const sockets = new Set<Socket>()
  const send = (res: ServerResponse, status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body)
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const [, key = '', ...rest] = url.pathname.split('/')
    requests.set(key, (requests.get(key) ?? 0) + 1)
    const mode = modes.get(key)
    const range = rangeOf(`/${rest.join('/')}`)
    if (mode === undefined || range === undefined) return send(res, 404, '{"error":{"code":"404 Not Found","message":"not served by the chaos fake"}}')
    if (mode === 'hang') return
    if (mode === 'error') return send(res, 500, '{"error":{"code":"500 Internal Server Error","message":"chaos: the provider is failing"}}')
    if (mode === 'garbage') return send(res, 200, '{"data":[{"from":"2026-01-01T00:00Z","to":"2026-01-01T00:30Z","intensity":{"forecast":1')
    send(res, 200, JSON.stringify({ data: periods(range[0], range[1], mode === 'hourly' ? HOUR : 30 * MINUTE) }))
  })
  server.on('connection', socket => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setMode: (key, mode) => { modes.set(key, mode) },
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(resolve => server.close(resolve))
    }
  }
}

import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { delimiter, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The directory holding the fake nvidia-smi. */
export const FAKE_BIN = resolve(fileURLToPath(new URL('../fixtures/bin', import.meta.url)))

/** The test process's environment with the fake nvidia-smi first on PATH, plus `extra`. */
export function fakeSmiEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${FAKE_BIN}${delimiter}${process.env.PATH ?? ''}`, ...extra }
}

/** One request the fake API received. */
export interface Received {
  path: string
  authorization: string | undefined
  body: Record<string, unknown>
}

/** What the fake answers: a status and a JSON body (none for 204). */
export interface Answer {
  status: number
  body?: unknown
}

/** A loopback server speaking the agent API as the test scripts it. */
export interface FakeApi {
  url: string
  received: Received[]
  /** The bodies received on paths ending in `suffix`. */
  bodies: (suffix: string) => Array<Record<string, unknown>>
  /** Resolves once a request on a path ending in `suffix` has arrived (at once if one already has). */
  arrived: (suffix: string) => Promise<void>
  close: () => Promise<void>
}

async function readBody (req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = ''
  for await (const chunk of req) text += String(chunk)
  return text === '' ? {} : JSON.parse(text) as Record<string, unknown>
}

/** Starts the fake on 127.0.0.1; `answer` decides each reply (problem+json for errors, as the server does). */
export async function fakeApi (answer: (req: Received) => Answer | Promise<Answer>): Promise<FakeApi> {
  const received: Received[] = []
  const waiting: Array<{ suffix: string, done: () => void }> = []
  const server = createServer((req, res) => {
    void (async () => {
      const r: Received = { path: req.url ?? '', authorization: req.headers.authorization, body: await readBody(req) }
      received.push(r)
      for (const w of waiting.filter(w => r.path.endsWith(w.suffix))) {
        waiting.splice(waiting.indexOf(w), 1)
        w.done()
      }
      const { status, body } = await answer(r)
      const type = status >= 400 ? 'application/problem+json' : 'application/json'
      if (body === undefined) res.writeHead(status).end()
      else res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body))
    })()
  })
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    bodies: suffix => received.filter(r => r.path.endsWith(suffix)).map(r => r.body),
    arrived: async suffix => {
      if (received.some(r => r.path.endsWith(suffix))) return
      await new Promise<void>(done => waiting.push({ suffix, done }))
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(done => server.close(() => done()))
    }
  }
}

/** The claim secret `claimReply` hands out; the agent must send it with every report and nowhere else. */
export const CLAIM_SECRET = 'claim_secret_of_this_run_0123456789abcdefgh'

/** A claim reply for a job running `command`; heartbeats every 0.1 s so tests see several within a second. */
export function claimReply (id: string, command: string[] | null, extra: Record<string, unknown> = {}): Answer {
  return {
    status: 200,
    body: {
      job: { id, attempt: 1, name: 'test job', command, payload: { lr: 0.001 }, gpus: 2, durationMinutes: 60, deadline: '2030-01-01T00:00:00.000Z', labels: {}, ...extra },
      heartbeatSeconds: 0.1,
      claim: CLAIM_SECRET
    }
  }
}

/**
 * A clock that moves 1 s forward on every reading, for the agent and its sampler alike: the order of
 * readings is the order of events (run start, each sample, run end), whatever the machine's load.
 */
export function stepClock (start = Date.UTC(2030, 0, 1)): () => number {
  let now = start
  return () => (now += 1000)
}

import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { beforeEach } from 'vitest'
import { runCli } from '../../src/cli/commands.js'
import { fixedZone } from '../../src/cli/client/time.js'
import { useTestApp, type TestApp } from '../support/app.js'

export interface Ran { code: number, out: string, err: string }

/**
 * The test app listening on loopback (port 0), and `run` for the client commands against it: the
 * client's clock is the app's, its time zone UTC+01:00 whatever the machine's TZ. useTestApp
 * closes the app, and with it the listener, after each test.
 */
export function useListeningApp (): { t: () => TestApp, url: () => string, run: (argv: string[], env?: NodeJS.ProcessEnv) => Promise<Ran> } {
  const t = useTestApp()
  let url = ''
  beforeEach(async () => {
    await t().app.listen({ port: 0, host: '127.0.0.1' })
    url = `http://127.0.0.1:${(t().app.server.address() as AddressInfo).port}`
  })
  const run = async (argv: string[], env: NodeJS.ProcessEnv = { GREENSHIFT_URL: url, GREENSHIFT_API_KEY: t().keys.a }): Promise<Ran> => {
    let out = ''
    let err = ''
    const code = await runCli(argv, env, s => { out += s }, { err: s => { err += s }, now: () => t().clock.now, zone: fixedZone(60) })
    return { code, out, err }
  }
  return { t, url: () => url, run }
}

/** A loopback URL nothing listens on: a port the system handed out, then closed. */
export async function deadUrl (): Promise<string> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

/** An RTX A4000 pool at 140 W and PUE 1 in NORTH, as the seed run measured on, added through the API. */
export async function addA4000 (t: TestApp): Promise<void> {
  const pool = { name: 'a4000', zone: 'NORTH', gpuModel: 'NVIDIA RTX A4000', gpuCount: 1, wattsPerGpu: 140, pue: 1, executor: { kind: 'agent' } }
  const res = await t.app.inject({ method: 'POST', url: '/v1/pools', headers: t.auth(t.keys.operator), payload: pool })
  if (res.statusCode !== 201) throw new Error(`adding the a4000 pool: ${res.statusCode} ${res.body}`)
}

/** A constructed CodeCarbon row with the seed run's published figures (see the fixture's README). */
export const SEED_CSV = new URL('../fixtures/codecarbon/seed-a4000-emissions.csv', import.meta.url).pathname

import { Writable } from 'node:stream'
import pino from 'pino'
import { expect, test } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()

test('one access line per request at info, and nothing else for a submission', async () => {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done() } })
  const app = await buildApp({ ...t().deps, now: () => NOW, ready: () => true }, { logger: pino({ level: 'info' }, sink) })
  try {
    const body = { name: 'logged', command: ['train'], gpus: 1, durationMinutes: 60, deadline: iso(NOW + 20 * HOUR) }
    const res = await app.inject({ method: 'POST', url: '/v1/jobs', payload: body, headers: t().auth(t().keys.a) })
    expect(res.statusCode).toBe(201)
    const unknown = await app.inject({ method: 'GET', url: '/v1/jobs?limit=1', headers: t().auth('gs_not_a_key_0123456789abcdefgh') })
    expect(unknown.statusCode).toBe(401)
    const requestLines = lines.filter(l => l.reqId !== undefined)
    expect(requestLines.map(l => [l.msg, l.method, l.url, l.status])).toEqual([
      ['request', 'POST', '/v1/jobs', 201],
      ['request', 'GET', '/v1/jobs?limit=1', 401]
    ])
    expect(typeof requestLines[0]?.ms).toBe('number')
  } finally {
    await app.close()
  }
})

import { connect } from 'node:net'
import { describe, expect, test } from 'vitest'
import { useTestApp } from '../support/app.js'

// Short limits, so that nothing here waits long: the whole request 1 s, headers 300 ms, callbacks 200 ms.
const t = useTestApp({ bodyTimeoutMs: 1_000, headersTimeoutMs: 300, callbackBodyTimeoutMs: 200 })

/**
 * Sends `head` at once, then `rest` one byte every 50 ms over a raw socket, until the server
 * answers or closes; returns what it answered. Bounded: `rest` is at most 100 bytes (5 s), and
 * the socket is given up 5 s after its last byte.
 */
async function dribble (url: string, head: string, rest: string): Promise<{ answer: string, sent: number }> {
  expect(rest.length).toBeLessThanOrEqual(100)
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  let answer = ''
  let sent = 0
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { answer += chunk })
  socket.on('error', () => {})
  socket.write(head)
  const timer = setInterval(() => {
    if (answer !== '' || socket.destroyed || sent >= rest.length) {
      clearInterval(timer)
      socket.setTimeout(5_000, () => socket.destroy())
      return
    }
    socket.write(rest[sent++]!)
  }, 50)
  await new Promise(resolve => socket.once('close', resolve))
  clearInterval(timer)
  return { answer, sent }
}

const job = JSON.stringify({ name: 'slow', gpus: 1, durationMinutes: 60, deadline: '2026-11-25T00:00:00Z', padding: 'x'.repeat(20) })

describe('slow requests are answered 408 and the connection closed', () => {
  test('a job whose body arrives a byte at a time: 408 once the whole request is late, nothing stored', async () => {
    const url = await t().app.listen({ port: 0, host: '127.0.0.1' })
    const head = `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t().keys.a}\r\nContent-Type: application/json\r\nContent-Length: ${job.length}\r\n\r\n`
    const { answer, sent } = await dribble(url, head, job.slice(0, 100))
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toContain('application/problem+json')
    expect(answer).toContain('"status":408')
    expect(sent).toBeLessThan(100)
    expect(await t().deps.store.db.selectFrom('jobs').select('id').execute()).toEqual([])
  })

  test('headers arriving a byte at a time: 408', async () => {
    const url = await t().app.listen({ port: 0, host: '127.0.0.1' })
    const { answer } = await dribble(url, 'GET /v1/jobs HTTP/1.1\r\nHost: x\r\n', `X-Slow: ${'a'.repeat(90)}`)
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toContain('application/problem+json')
  })

  test('an unauthenticated webhook callback gets the tighter limit', async () => {
    const url = await t().app.listen({ port: 0, host: '127.0.0.1' })
    const id = '00000000-0000-4000-8000-000000000000'
    const body = JSON.stringify({ jobId: id, type: 'heartbeat', attempt: 1, detail: 'x'.repeat(40) })
    const head = `POST /v1/callbacks/jobs/${id} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`
    // One answered without reading its body (415) first: its deadline must not fire later, with nobody to answer.
    const unread = await t().app.inject({ method: 'POST', url: `/v1/callbacks/jobs/${id}`, headers: { 'content-type': 'text/plain' }, payload: body })
    expect(unread.statusCode).toBe(415)
    const { answer } = await dribble(url, head, body.slice(0, 100))
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toMatch(/connection: close/i)
    expect(answer).toContain('did not arrive within 200 ms')
  })

  test('only receiving is timed: a claim long-polling longer than the request limit is answered as usual', async () => {
    const url = await t().app.listen({ port: 0, host: '127.0.0.1' })
    const token = (await t().app.inject({ method: 'POST', url: '/v1/pools/gpu-north/tokens', headers: t().auth(t().keys.operator), payload: {} })).json().token
    const started = performance.now()
    const res = await fetch(`${url}/v1/agent/claim`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ agent: 'poller', waitSeconds: 2 })
    })
    expect(res.status).toBe(204)
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_900)
  })
})

import { expect, test } from 'vitest'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

// Errors a new user meets first, each naming the field and saying what it takes.

const t = useTestApp()
const job = { name: 'x', gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR) }

async function send (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, headers: Record<string, string> = {}, key = t().keys.a) {
  return await t().app.inject({ method, url, headers: { ...t().auth(key), ...headers }, ...(payload === undefined ? {} : { payload: payload as string }) })
}

test('a body sent as a form (curl -d without a content type) is a 415 that says which type to send', async () => {
  const res = await send('POST', '/v1/pools/gpu-north/tokens', '{"name":"rack-1"}', { 'content-type': 'application/x-www-form-urlencoded' }, t().keys.operator)
  expect(res.statusCode).toBe(415)
  expect(res.json().detail).toContain('Content-Type: application/json')
  expect(res.json().detail).toContain('"application/x-www-form-urlencoded"')
  expect(res.json().errors).toEqual([{ field: 'content-type', message: 'must be application/json' }])
})

test('an unknown state lists the states once, instead of one "must be equal to constant" per state', async () => {
  const res = await send('GET', '/v1/jobs?state=done')
  expect(res.statusCode).toBe(400)
  expect(res.json().errors).toEqual([{ field: 'state', message: 'must be one of "pending", "planned", "dispatched", "running", "succeeded", "failed", "cancelled"' }])
})

test('every enum error lists its values: a report format, a body field', async () => {
  expect((await send('GET', '/v1/reports/emissions?format=xml')).json().errors).toEqual([{ field: 'format', message: 'must be one of "json", "csv"' }])
  const res = await send('POST', '/v1/jobs', { ...job, command: ['x'], sciUnit: 'token' })
  expect(res.statusCode).toBe(400)
  expect(res.json().errors).toEqual([{ field: 'sciUnit', message: expect.stringMatching(/^must be one of "job", "gpu-hour"/) }])
})

test('a bad groupBy names the dimensions it takes, not a pattern', async () => {
  const res = await send('GET', '/v1/reports/emissions?groupBy=pool,fortnight')
  expect(res.statusCode).toBe(400)
  expect(res.json().errors[0].message).toMatch(/^"fortnight" is not a dimension; use month, week, day, pool, zone, tenant or label:<key>/)
})

test('a deadline without an offset says it needs one, with an example', async () => {
  const res = await send('POST', '/v1/jobs', { ...job, command: ['x'], deadline: '2026-11-24T09:00:00' })
  expect(res.statusCode).toBe(400)
  expect(res.json().errors).toEqual([{ field: 'deadline', message: expect.stringContaining('with a UTC offset, such as 2026-12-04T09:00:00Z') }])
})

test('a job without a command is refused where it would run one (agent pools), stored nowhere; quoting it is fine', async () => {
  const res = await send('POST', '/v1/jobs', { ...job, pools: ['gpu-north'] })
  expect(res.statusCode).toBe(422)
  expect(res.json().errors).toEqual([{ field: 'command', message: expect.stringContaining('gpu-north (agent)') }])
  expect((await send('GET', '/v1/jobs')).json().jobs).toEqual([])
  expect((await send('POST', '/v1/quotes', { ...job, pools: ['gpu-north'] })).statusCode).toBe(200)
})

test('a job with only a payload may go to a webhook pool, whose receiver decides what to run', async () => {
  t().deps.env!.GS_TEST_HOOK_SECRET = 'whsec_c2VjcmV0'
  const hook = { name: 'hooked', zone: 'SOUTH', gpuModel: 'L40S', gpuCount: 4, wattsPerGpu: 350, pue: 1.2, executor: { kind: 'webhook', url: 'https://runner.example/jobs', secretEnv: 'GS_TEST_HOOK_SECRET' } }
  expect((await send('POST', '/v1/pools', hook, {}, t().keys.operator)).statusCode).toBe(201)
  const res = await send('POST', '/v1/jobs', { ...job, pools: ['hooked'], payload: { script: 'train.sh' } })
  expect(res.statusCode).toBe(201)
  // Allowed every pool, it could land on an agent pool: refused, naming the pools that need a command.
  const anywhere = await send('POST', '/v1/jobs', { ...job, payload: { script: 'train.sh' } })
  expect(anywhere.statusCode).toBe(422)
  expect(anywhere.json().errors[0].message).toMatch(/gpu-north \(agent\), gpu-south \(agent\)/)
})

test('a union told apart by its kind reports the kind\'s own missing fields, or the kinds when none matches', async () => {
  const patch = async (executor: unknown) => (await send('PATCH', '/v1/pools/gpu-north', { executor }, {}, t().keys.operator)).json()
  expect((await patch({ kind: 'ftp' })).errors).toEqual([{ field: 'executor.kind', message: 'must be one of "agent", "webhook", "slurm"' }])
  expect((await patch({ kind: 'webhook' })).errors).toEqual([{ field: 'executor.url', message: 'is required' }, { field: 'executor.secretEnv', message: 'is required' }])
  expect((await patch({ kind: 'agent', extra: 1 })).errors).toEqual([{ field: 'executor.extra', message: 'is not a known field' }])
})

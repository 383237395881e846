import { expect, test } from 'vitest'
import { unguardedPass } from '../../src/scheduler/pass.js'
import { replanWaiting } from '../../src/scheduler/replan.js'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

// A job without a command runs only on webhook pools: agent and Slurm pools run a job's command.
// NORTH (gpu-north, agent) is 100 g/kWh from 18:00 to 22:00, SOUTH 200 g/kWh throughout.

const t = useTestApp()

async function call (method: 'POST' | 'PATCH', url: string, payload: unknown, key = t().keys.operator) {
  return await t().app.inject({ method, url, headers: t().auth(key), payload: payload as object })
}

test('a payload-only job accepted while only a webhook pool could take it is never re-planned onto an agent pool enabled later', async () => {
  t().deps.env!.GS_TEST_HOOK_SECRET = 'whsec_c2VjcmV0'
  const hook = { name: 'hooked', zone: 'SOUTH', gpuModel: 'L40S', gpuCount: 4, wattsPerGpu: 400, pue: 1, executor: { kind: 'webhook', url: 'https://runner.example/jobs', secretEnv: 'GS_TEST_HOOK_SECRET' } }
  expect((await call('POST', '/v1/pools', hook)).statusCode).toBe(201)
  for (const pool of ['gpu-north', 'gpu-south']) expect((await call('PATCH', `/v1/pools/${pool}`, { enabled: false })).statusCode).toBe(200)
  const res = await call('POST', '/v1/jobs', { name: 'hooked-job', gpus: 4, durationMinutes: 120, notBefore: iso(NOW + HOUR), deadline: iso(NOW + 30 * HOUR), payload: { script: 'train.sh' } }, t().keys.a)
  expect(res.statusCode).toBe(201)
  expect(res.json().plan.pool).toBe('hooked')

  // gpu-north is back, and its evening is half SOUTH's intensity: a job with a command would move there.
  expect((await call('PATCH', '/v1/pools/gpu-north', { enabled: true })).statusCode).toBe(200)
  // Planned from 11:00 (its notBefore), it has not started at 10:00: re-planning may move it.
  expect(await replanWaiting(t().deps, NOW, unguardedPass())).toBe(0)
  const job = (await t().app.inject({ method: 'GET', url: `/v1/jobs/${res.json().id as string}`, headers: t().auth(t().keys.a) })).json()
  expect(job.plan.pool).toBe('hooked')

  // A job with a command may take gpu-north's evening, as the payload-only job could have.
  const withCommand = await call('POST', '/v1/jobs', { name: 'cmd-job', gpus: 4, durationMinutes: 120, deadline: iso(NOW + 30 * HOUR), pools: ['hooked', 'gpu-north'], command: ['train'] }, t().keys.a)
  expect(withCommand.json().plan.pool).toBe('gpu-north')
})

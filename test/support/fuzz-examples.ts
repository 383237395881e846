import fc from 'fast-check'
import { HOUR, iso, NOW } from './app.js'
import { describeRequest, type FuzzRequest } from './fuzz-request.js'

const cursor = (instant: number) => Buffer.from(JSON.stringify([instant, '00000000-0000-4000-8000-000000000000'])).toString('base64url')
const job = { name: 'x', gpus: 1, durationMinutes: 60, deadline: iso(NOW + 30 * HOUR) }

function request (operationId: string, method: string, parts: Partial<FuzzRequest>): FuzzRequest {
  const req: FuzzRequest = { operationId, method, path: {}, query: [], headers: {}, auth: 'valid', ...parts }
  if (req.body !== undefined) req.contentType = 'application/json'
  return Object.assign(req, { [fc.toStringMethod]: () => describeRequest(req) })
}

const jsonTo = (operationId: string, path: Record<string, string>) => (json: unknown) => request(operationId, 'POST', { path, body: { json } })

/**
 * Requests each operation is always sent first, before the generated ones: the hostile inputs
 * issue 10 found, so a run never depends on the seed to meet them.
 */
export const EXAMPLES: Record<string, FuzzRequest[]> = {
  submitJob: [
    { ...job, labels: { team: '\ud800' } },
    { ...job, command: ['python', 'a\udc00b'] },
    { ...job, payload: { lr: '\udfff' } },
    { ...job, name: '\ud800' }
  ].map(jsonTo('submitJob', {})),
  // Found by this fuzzer: a pool's executor spec is a jsonb column too (500 on main).
  createPool: [
    { name: 'fuzz-pool', zone: 'SOUTH', gpuModel: 'x', gpuCount: 1, wattsPerGpu: 100, pue: 1, executor: { kind: 'slurm', url: 'http://127.0.0.1:9/', partition: '\ud800', user: 'u', tokenEnv: 'FUZZ_HOOK_SECRET' } }
  ].map(jsonTo('createPool', {})),
  updatePool: [
    { executor: { kind: 'slurm', url: 'http://127.0.0.1:9/', partition: 'p', user: '\udc00', tokenEnv: 'FUZZ_HOOK_SECRET' } },
    { gpuModel: '\ud800' }
  ].map(json => request('updatePool', 'PATCH', { path: { name: 'gpu-north' }, body: { json } })),
  claimJob: [{ agent: 'host\ud800' }].map(jsonTo('claimJob', {})),
  agentHeartbeat: [{ attempt: 1, energyKwh: 1e7, powerW: 1e7 }].map(jsonTo('agentHeartbeat', { id: '@run@' })),
  listJobs: [8.64e15, -8.64e15, 253_402_300_800_000].map(t => request('listJobs', 'GET', { query: [['cursor', cursor(t)]] })),
  agentComplete: [
    { attempt: 1, exitCode: 0, startedAt: iso(NOW), finishedAt: '9999-12-31T23:59:59Z', energyKwh: 1 },
    { attempt: 1, exitCode: 0, startedAt: iso(NOW - 3 * HOUR), finishedAt: iso(NOW), energyKwh: 5000 },
    { attempt: 1, exitCode: 1, startedAt: iso(NOW), finishedAt: iso(NOW), energyKwh: null, detail: 'oom\ud800' }
  ].map(jsonTo('agentComplete', { id: '@run@' })),
  webhookCallback: [
    { jobId: '@run@', type: 'finished', attempt: 1, exitCode: 0, startedAt: '1970-01-01T00:00:00Z', finishedAt: iso(NOW) },
    { jobId: '@run@', type: 'finished', attempt: 1, exitCode: 0, startedAt: iso(NOW), finishedAt: iso(NOW - HOUR) },
    { jobId: '@run@', type: 'finished', attempt: 1, exitCode: 1, finishedAt: iso(NOW), detail: 'oom\udc00' }
  ].map(jsonTo('webhookCallback', { id: '@run@' }))
}

import { describe, expect, test } from 'vitest'
import { HISTORY_RUNS } from '../../src/core/estimate/history.js'
import { historyRuns, insertHistory, type NewHistoryRun } from '../../src/store/energy-history.js'
import { createTenant } from '../../src/store/tenants.js'
import { useTestStore } from '../support/db.js'

const store = useTestStore()
const T0 = Date.UTC(2026, 10, 23)

function run (tenantId: string, over: Partial<NewHistoryRun> = {}): NewHistoryRun {
  return {
    tenantId, family: 'lora:7000000000', gpuModel: 'RTX-A4000', gpus: 1, method: 'lora', parameters: 7e9,
    tokens: 26_624_000, energyKwh: 0.694, durationMinutes: 237, source: 'codecarbon', jobId: null, createdAt: T0, ...over
  }
}

describe('energy history', () => {
  test('runs are read back by tenant, family and GPU model, newest first, at most HISTORY_RUNS', async () => {
    const a = await createTenant(store().db, 'a')
    const b = await createTenant(store().db, 'b')
    const many = Array.from({ length: HISTORY_RUNS + 5 }, (_, i) => run(a.id, { energyKwh: i + 1, createdAt: T0 + i }))
    expect(await insertHistory(store().db, [...many, run(b.id, { energyKwh: 99 }), run(a.id, { family: 'other', energyKwh: 98 }), run(a.id, { gpuModel: 'L40S', energyKwh: 97 })])).toBe(HISTORY_RUNS + 8)
    const found = await historyRuns(store().db, a.id, 'lora:7000000000', ['RTX-A4000', 'L40S', 'T4'])
    expect([...found.keys()]).toEqual(['RTX-A4000', 'L40S'])
    const a4000 = found.get('RTX-A4000') ?? []
    expect(a4000).toHaveLength(HISTORY_RUNS)
    expect(a4000[0]).toEqual({ tokens: 26_624_000, energyKwh: HISTORY_RUNS + 5, durationMinutes: 237, gpus: 1 })
    expect(a4000.map(r => r.energyKwh)).not.toContain(99)
    expect((await historyRuns(store().db, b.id, 'lora:7000000000', ['RTX-A4000'])).get('RTX-A4000')?.map(r => r.energyKwh)).toEqual([99])
  })

  test('one run per job: recording a job\'s run again stores nothing', async () => {
    const a = await createTenant(store().db, 'a')
    await store().db.insertInto('jobs').values({
      id: 'job-1', tenant_id: a.id, name: 'n', state: 'succeeded', gpus: 1, duration_minutes: 60, deadline: new Date(T0), not_before: null,
      interruptible: false, min_segment_minutes: 30, pools: '[]', zones: '[]', preferred_pool: null, watts_per_gpu: null, energy_kwh: null,
      command: null, payload: null, labels: '{}', plan: null, pool: null, latest_safe_start: null, idempotency_key: null, request_hash: null,
      submitted_at: new Date(T0), updated_at: new Date(T0)
    }).execute()
    expect(await insertHistory(store().db, [run(a.id, { source: 'ledger', jobId: 'job-1' })])).toBe(1)
    expect(await insertHistory(store().db, [run(a.id, { source: 'ledger', jobId: 'job-1', energyKwh: 5 })])).toBe(0)
    expect((await historyRuns(store().db, a.id, 'lora:7000000000', ['RTX-A4000'])).get('RTX-A4000')?.map(r => r.energyKwh)).toEqual([0.694])
  })

  test('the schema refuses what no measurement can be', async () => {
    const a = await createTenant(store().db, 'a')
    await expect(insertHistory(store().db, [run(a.id, { energyKwh: 0 })])).rejects.toThrow()
    await expect(insertHistory(store().db, [run(a.id, { tokens: -1 })])).rejects.toThrow()
  })
})

import type { WorkMethod } from '../core/estimate/estimate.js'
import { HISTORY_RUNS, type HistoryRun } from '../core/estimate/history.js'
import type { Instant } from '../core/types.js'
import { toDate } from './convert.js'
import type { Db } from './schema.js'

/** A measured run of work to keep: IT energy (before PUE), T = tokens × epochs, GPU model as `historyGpuModel` keys it. */
export interface NewHistoryRun extends HistoryRun {
  tenantId: string
  family: string
  gpuModel: string
  method: WorkMethod
  parameters: number
  source: 'ledger' | 'codecarbon'
  /** The job whose ledger measured it; null for an import. */
  jobId: string | null
  /** CodeCarbon's `run_id` of an imported run, when the row gave one. */
  runId?: string | null
  createdAt: Instant
}

/**
 * Stores runs; a run of a job that already has one is skipped (`job_id` is unique), so recording a
 * job's ledger twice keeps one row, and so is an imported run whose `run_id` the tenant already has
 * (the same file imported twice). Returns how many were stored.
 */
export async function insertHistory (db: Db, runs: readonly NewHistoryRun[]): Promise<number> {
  if (runs.length === 0) return 0
  const result = await db.insertInto('energy_history').values(runs.map(r => ({
    tenant_id: r.tenantId,
    family: r.family,
    gpu_model: r.gpuModel,
    gpu_count: r.gpus,
    method: r.method,
    parameters: r.parameters,
    tokens: r.tokens,
    energy_kwh: r.energyKwh,
    duration_minutes: r.durationMinutes,
    source: r.source,
    job_id: r.jobId,
    run_id: r.runId ?? null,
    created_at: toDate(r.createdAt)
  }))).onConflict(oc => oc.doNothing()).executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0)
}

/**
 * A tenant's newest runs (at most `HISTORY_RUNS` each) of `family` on each of `gpuModels`, by GPU
 * model. Only the tenant's own: one tenant's runs never inform another's estimates.
 */
export async function historyRuns (db: Db, tenantId: string, family: string, gpuModels: readonly string[]): Promise<Map<string, HistoryRun[]>> {
  const byModel = new Map<string, HistoryRun[]>()
  for (const gpuModel of new Set(gpuModels)) {
    const rows = await db.selectFrom('energy_history')
      .select(['tokens', 'energy_kwh', 'duration_minutes', 'gpu_count'])
      .where('tenant_id', '=', tenantId).where('family', '=', family).where('gpu_model', '=', gpuModel)
      .orderBy('created_at', 'desc').orderBy('id', 'desc')
      .limit(HISTORY_RUNS)
      .execute()
    if (rows.length > 0) byModel.set(gpuModel, rows.map(r => ({ tokens: r.tokens, energyKwh: r.energy_kwh, durationMinutes: r.duration_minutes, gpus: r.gpu_count })))
  }
  return byModel
}

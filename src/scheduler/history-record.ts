import { workTokens } from '../core/estimate/estimate.js'
import { historyGpuModel } from '../core/estimate/history.js'
import { MINUTE_MS, type Instant, type JobLedger } from '../core/types.js'
import type { NewHistoryRun } from '../store/energy-history.js'
import type { LedgerWork } from '../store/ledger.js'

/**
 * The measured run a work job's ledger adds to its tenant's energy history, or undefined when it
 * adds none. Only a job that gave `work`, ran once and succeeded, with measured energy: a retried
 * job's attempts each did part of the work, and a failed one not all of it. The energy kept is IT
 * energy, the ledger's (measured GPU energy × PUE, plus the host's share) divided by the run's
 * PUE, as CodeCarbon measures it at the machine; the GPU model is the one the job's estimate
 * named for the pool it ran on.
 */
export function historyRunOf (w: LedgerWork, ledger: JobLedger, now: Instant): NewHistoryRun | undefined {
  const { job, run } = w
  if (job.work === undefined || job.workEstimate === undefined || ledger.energyMethod !== 'measured') return undefined
  const [attempt, ...more] = ledger.attempts
  if (attempt === undefined || more.length > 0 || attempt.outcome !== 'succeeded' || attempt.energyMethod !== 'measured') return undefined
  const gpuModel = job.workEstimate.pools.find(p => p.pool === attempt.pool)?.gpuModel
  const pue = run.attempt === attempt.attempt ? run.poolModel?.pue : undefined
  if (gpuModel === undefined || pue === undefined || !(attempt.energyKwh > 0) || !(attempt.end > attempt.start)) return undefined
  return {
    tenantId: job.tenantId,
    family: job.workEstimate.family,
    gpuModel: historyGpuModel(gpuModel),
    gpus: job.gpus,
    method: job.work.method,
    parameters: job.work.parameters,
    tokens: workTokens(job.work),
    energyKwh: attempt.energyKwh / pue,
    durationMinutes: (attempt.end - attempt.start) / MINUTE_MS,
    source: 'ledger',
    jobId: job.id,
    createdAt: now
  }
}

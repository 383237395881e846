import { checkWork } from '../core/estimate/estimate.js'
import { historyGpuModel, jobWorkEstimate, workFamily } from '../core/estimate/history.js'
import { invalidField } from '../errors.js'
import { historyRuns } from '../store/energy-history.js'
import { listPools } from '../store/pools.js'
import type { Deps } from './deps.js'
import { eligiblePools, type JobSpec, type ResolvedSpec } from './resolve.js'

/** The longest duration a job may have, minutes (31 days), as `durationMinutes` allows. */
const MAX_DURATION_MINUTES = 44_640

/**
 * A spec with its duration. A spec gives exactly one of `durationMinutes` and `work` (422 naming
 * the field otherwise). Work is estimated on every pool the spec allows that holds its GPUs: from
 * the tenant's measured runs of the same family on the pool's GPU model when there are some
 * (`estimated:history`), else from FLOPs (`estimated:flops`); a pool neither can estimate is left
 * out, and the job refused when none is left. Each pool is planned with its own `mid` duration
 * (rounded up to a minute; see `planRequest`); the job's `durationMinutes` is the longest of them,
 * and it fits its window when its fastest pool does (`checkSpec`). Its `pools` become
 * the pools estimated, so later plans never move it to a pool without an estimate. `tenantId` null
 * (a quote without a tenant) uses no history.
 */
export async function resolveWork (deps: Pick<Deps, 'store' | 'providers'>, tenantId: string | null, spec: JobSpec): Promise<ResolvedSpec> {
  const { work, durationMinutes } = spec
  if (work !== undefined && durationMinutes !== undefined) throw invalidField('work', 'give durationMinutes or work, not both')
  if (work === undefined) {
    if (durationMinutes === undefined) throw invalidField('durationMinutes', 'is required unless work is given (what the job computes, to estimate its duration from)')
    return { ...spec, durationMinutes }
  }
  const refused = checkWork(work)
  if (refused !== undefined) throw invalidField(refused.field, refused.message)
  const pools = eligiblePools(spec, await listPools(deps.store.db), new Set(deps.providers.keys())).filter(p => p.gpuCount >= spec.gpus)
  const family = workFamily(work, spec.labels)
  const history = tenantId === null ? new Map() : await historyRuns(deps.store.db, tenantId, family, pools.map(p => historyGpuModel(p.gpuModel)))
  const estimate = jobWorkEstimate(work, family, pools, spec.gpus, history)
  if (estimate === undefined) {
    throw invalidField('work', `cannot be estimated on any allowed pool: ${pools.map(p => `${p.name}: no peak FLOPS known for GPU model "${p.gpuModel}" and no measured runs of this work on it`).join('; ')}`)
  }
  if (spec.preferredPool !== undefined && !estimate.pools.some(p => p.pool === spec.preferredPool)) {
    throw invalidField('preferredPool', `"${spec.preferredPool}" cannot run this work: ${estimate.excluded.find(e => e.pool === spec.preferredPool)?.reason ?? 'it cannot hold the job'}`)
  }
  const minutes = Math.max(1, Math.ceil(estimate.durationMinutes.mid))
  if (minutes > MAX_DURATION_MINUTES) throw invalidField('work', `is estimated at ${minutes} minutes on ${estimate.pool}, more than 31 days`)
  const resolved: ResolvedSpec = { ...spec, durationMinutes: minutes, pools: estimate.pools.map(p => p.pool), workEstimate: estimate }
  // The pools stand for the zones they were chosen from.
  delete resolved.zones
  return resolved
}

import { CapacityLedger } from '../core/capacity.js'
import type { Instant, Pool } from '../core/types.js'
import { ApiError } from '../errors.js'
import { activeReservations } from '../store/jobs.js'
import { bumpCapacityVersions } from '../store/capacity.js'
import { lockPools, updatePool } from '../store/pools.js'
import type { Deps } from './deps.js'
import { intakeState } from './intake-state.js'

/**
 * Changes a pool under its lock. Shrinking `gpuCount` below what planned and running jobs already
 * hold from now on is a 409: it would leave the pool overbooked.
 */
export async function changePool (deps: Deps, name: string, patch: Partial<Omit<Pool, 'name'>>, now: Instant): Promise<Pool | undefined> {
  return await deps.store.db.transaction().execute(async trx => {
    await lockPools(trx, [name])
    if (patch.gpuCount !== undefined) {
      const ledger = new CapacityLedger((await activeReservations(trx)).filter(r => r.pool === name && r.end > now))
      const peak = ledger.peak(name, now, Number.MAX_SAFE_INTEGER)
      if (patch.gpuCount < peak) {
        const detail = `planned and running jobs hold up to ${peak} GPUs in ${name}; cancel or wait for them before shrinking it to ${patch.gpuCount}`
        throw new ApiError(409, 'pool-overbooked', detail, [{ field: 'gpuCount', message: `must be at least ${peak}` }])
      }
    }
    const changed = await updatePool(trx, name, patch, new Date(now))
    // Its capacity or zone may have changed: views of it read before are out of date.
    if (changed !== undefined) await bumpCapacityVersions(trx, [name])
    return changed
  }).finally(() => { intakeState(deps.store).forgetPools(name) })
}

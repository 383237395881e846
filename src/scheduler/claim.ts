import type { Instant, Job } from '../core/types.js'
import { newClaimSecret, setClaimHash } from '../store/run-claims.js'
import type { Deps } from './deps.js'
import { startIn } from './runs.js'

/** A job an agent claimed: it is `running` from the claim on, under attempt `attempt`. */
export interface Claimed {
  job: Job
  attempt: number
  /** The secret the agent must send with every report on this run; only its hash is stored. */
  claim: string
}

/**
 * Gives the agent `agent` of `pool` the most urgent dispatched job that fits in `gpus` free GPUs
 * (any size when undefined), or undefined. The row is taken with `FOR UPDATE SKIP LOCKED`, so
 * agents claiming at once each get a different job and never wait on one another; the claim and
 * the move to `running` are one transaction, so a job is never handed to two agents. The run is
 * bound to a new claim secret in the same transaction: whoever else holds the pool token cannot
 * heartbeat or complete it.
 */
export async function claimJob (deps: Deps, pool: string, agent: string, gpus: number | undefined, now: Instant): Promise<Claimed | undefined> {
  return await deps.store.db.transaction().execute(async trx => {
    let query = trx.selectFrom('jobs as j')
      .innerJoin('job_runs as r', join => join.onRef('r.job_id', '=', 'j.id').onRef('r.attempt', '=', 'j.attempt'))
      .select(['j.id', 'j.attempt'])
      .where('j.state', '=', 'dispatched').where('r.pool', '=', pool)
      .where('r.outcome', 'is', null).where('r.started_at', 'is', null)
    if (gpus !== undefined) query = query.where('j.gpus', '<=', gpus)
    const row = await query.orderBy('j.latest_safe_start').orderBy('j.id')
      .limit(1).forUpdate('j').skipLocked().executeTakeFirst()
    if (row === undefined) return undefined
    const started = await startIn(trx, row.id, row.attempt, now, now, agent)
    if (!started.applied || started.job === undefined) return undefined
    const claim = newClaimSecret()
    await setClaimHash(trx, row.id, row.attempt, claim)
    return { job: started.job, attempt: row.attempt, claim }
  })
}

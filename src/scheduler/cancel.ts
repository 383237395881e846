import { TERMINAL_STATES, type Instant, type Job, type JobState } from '../core/types.js'
import { ApiError, notFound } from '../errors.js'
import { getJob, transitionJob } from '../store/jobs.js'
import { replacePlannedSegments } from '../store/segments.js'
import type { Deps } from './deps.js'

const CANCELLABLE: JobState[] = ['pending', 'planned', 'dispatched', 'running']

/** Cancels a job of this tenant that has not finished, releasing its reserved capacity. */
export async function cancelJob (deps: Deps, tenantId: string, id: string, reason: string, now: Instant): Promise<Job> {
  return await deps.store.db.transaction().execute(async trx => {
    const job = await getJob(trx, tenantId, id)
    if (job === undefined) throw notFound(`job ${id}`)
    if (job.state === 'cancelled') return job
    if (TERMINAL_STATES.includes(job.state)) {
      throw new ApiError(409, 'job-finished', `job ${id} is ${job.state} and can no longer be cancelled`)
    }
    const cancelled = await transitionJob(trx, { id, from: CANCELLABLE, to: 'cancelled', at: new Date(now), reason })
    if (cancelled === undefined) throw new ApiError(409, 'job-changed', `job ${id} changed state; retry`)
    await replacePlannedSegments(trx, id, job.plan?.pool ?? '', [])
    return cancelled
  })
}

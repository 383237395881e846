import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { checkWork, estimateWork, type Work } from '../../core/estimate/estimate.js'
import { KNOWN_GPUS } from '../../core/estimate/gpus.js'
import { historyEstimate, historyGpuModel, workFamily, type HistoryRun } from '../../core/estimate/history.js'
import { historyRuns } from '../../store/energy-history.js'
import type { Pool } from '../../core/types.js'
import { invalidField } from '../../errors.js'
import { listPools } from '../../store/pools.js'
import type { AppDeps } from '../app.js'
import { requireScope } from '../auth.js'
import { EstimateInput, Estimates } from '../estimate-schemas.js'
import { errorResponses } from '../schemas.js'

export function estimateRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.post('/estimates', {
      schema: {
        operationId: 'estimateWork',
        tags: ['jobs'],
        summary: 'A job\'s duration and energy on each allowed pool from its work (model size, tokens, method), without planning: from this tenant\'s measured runs of the same family on the pool\'s GPU model when there are some (estimated:history), else from FLOPs (estimated:flops)',
        body: EstimateInput,
        response: { 200: Estimates, ...errorResponses }
      }
    }, async request => {
      const principal = requireScope(request, 'read')
      const { work, gpus, family } = request.body
      const refused = checkWork(work)
      if (refused !== undefined) throw invalidField(refused.field, refused.message)
      const pools = allowed(await listPools(deps.store.db), request.body)
      const key = workFamily(work, family === undefined ? {} : { family })
      const history = await historyRuns(deps.store.db, principal.tenantId, key, pools.map(p => historyGpuModel(p.gpuModel)))
      return { family: key, estimates: pools.map(pool => estimateOn(work, pool, gpus, history.get(historyGpuModel(pool.gpuModel)) ?? [])) }
    })
  }
}

/** The named pools (all when none are named) that are enabled and hold `gpus`; an unknown name is refused. */
function allowed (all: Pool[], body: EstimateInput): Pool[] {
  const byName = new Map(all.map(p => [p.name, p]))
  const named = body.pools?.map((name, i) => {
    const pool = byName.get(name)
    if (pool === undefined) throw invalidField(`pools[${i}]`, `unknown pool "${name}"`)
    return pool
  })
  const enabled = (named ?? all).filter(p => p.enabled)
  if (enabled.length === 0) throw invalidField('pools', 'no enabled pool is allowed')
  const fitting = enabled.filter(p => p.gpuCount >= body.gpus)
  if (fitting.length === 0) throw invalidField('gpus', `${body.gpus} GPUs is more than any allowed pool has (largest: ${Math.max(...enabled.map(p => p.gpuCount))})`)
  return fitting
}

/** The estimate on one pool: from the tenant's measured runs when there are some (with what FLOPs alone say beside it), else from FLOPs. */
function estimateOn (work: Work, pool: Pool, gpus: number, runs: readonly HistoryRun[]) {
  const e = estimateWork(work, pool, gpus)
  const measured = historyEstimate(work, runs, pool, gpus)
  const head = { pool: pool.name, gpuModel: pool.gpuModel }
  if (measured !== undefined) {
    return {
      ...head, method: 'estimated:history' as const, ...measured, assumptions: e?.assumptions ?? null,
      ...(e === undefined ? {} : { flops: { durationMinutes: e.durationMinutes, energyKwh: e.energyKwh } })
    }
  }
  if (e === undefined) {
    return { ...head, method: 'estimated:flops' as const, durationMinutes: null, energyKwh: null, assumptions: null, note: `no peak FLOPS known for GPU model "${pool.gpuModel}"; the table knows ${KNOWN_GPUS.join(', ')}` }
  }
  return { ...head, method: 'estimated:flops' as const, durationMinutes: e.durationMinutes, energyKwh: e.energyKwh, assumptions: e.assumptions }
}

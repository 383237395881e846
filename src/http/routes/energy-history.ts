import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { checkWork, workTokens, type Work } from '../../core/estimate/estimate.js'
import { historyGpuModel, workFamily } from '../../core/estimate/history.js'
import type { Instant } from '../../core/types.js'
import { invalidField } from '../../errors.js'
import { insertHistory, type NewHistoryRun } from '../../store/energy-history.js'
import type { AppDeps } from '../app.js'
import { requireScope } from '../auth.js'
import { HistoryInput, HistoryStored } from '../history-schemas.js'
import { errorResponses } from '../schemas.js'

/** A GPU draws at most this much, W (the largest accelerators' TDP is about 1.2 kW): a row above it, host included, is not a measurement. */
const MAX_WATTS_PER_GPU = 3000

export function energyHistoryRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.post('/energy-history', {
      schema: {
        operationId: 'importEnergyHistory',
        tags: ['jobs'],
        summary: 'Store measured runs of a kind of work (CodeCarbon emissions.csv rows, each one run of the whole work) as this tenant\'s energy history: later estimates of the same family on the same GPU model scale them by tokens (estimated:history). All rows or none.',
        body: HistoryInput,
        response: { 201: HistoryStored, ...errorResponses }
      }
    }, async (request, reply) => {
      const principal = requireScope(request, 'submit')
      const { work, rows } = request.body
      const refused = checkWork(work)
      if (refused !== undefined) throw invalidField(refused.field, refused.message)
      const family = workFamily(work, request.body.family === undefined ? {} : { family: request.body.family })
      const runs = rows.map((row, i) => historyRow(row, i, work, family, principal.tenantId, deps.now()))
      const stored = await deps.store.db.transaction().execute(async trx => await insertHistory(trx, runs))
      return reply.status(201).send({
        stored,
        duplicates: runs.length - stored,
        family,
        runs: runs.map(r => ({ gpuModel: r.gpuModel, gpus: r.gpus, tokens: r.tokens, energyKwh: r.energyKwh, durationMinutes: r.durationMinutes, kwhPerMillionTokens: r.energyKwh / r.tokens * 1e6 }))
      })
    })
  }
}

type Row = HistoryInput['rows'][number]

/** A CodeCarbon row as a history run, checked against what a measurement can be; 422 naming `rows[i].column` otherwise. */
function historyRow (row: Row, i: number, work: Work, family: string, tenantId: string, now: Instant): NewHistoryRun {
  const bad = (column: string, message: string) => invalidField(`rows[${i}].${column}`, message)
  const pue = row.pue ?? 1
  const parts = (row.gpu_energy + row.cpu_energy + row.ram_energy) * pue
  // CodeCarbon writes energy_consumed as the sum of the three (× its PUE); 1 % leaves room for rounding in a hand-edited file.
  if (Math.abs(parts - row.energy_consumed) > 0.01 * row.energy_consumed + 1e-6) {
    throw bad('energy_consumed', `${row.energy_consumed} kWh is not (gpu_energy + cpu_energy + ram_energy) × pue (${Number(parts.toPrecision(6))} kWh)`)
  }
  const counted = /^\s*(\d+)\s*x\s+/i.exec(row.gpu_model)?.[1]
  if (counted !== undefined && row.gpu_count !== undefined && Number(counted) !== row.gpu_count) {
    throw bad('gpu_count', `${row.gpu_count} disagrees with gpu_model "${row.gpu_model}" (${counted} GPUs)`)
  }
  const gpus = row.gpu_count ?? (counted === undefined ? 1 : Number(counted))
  if (!(gpus >= 1)) throw bad('gpu_model', `"${row.gpu_model}" counts no GPU`)
  const watts = row.energy_consumed * 1000 / (row.duration / 3600)
  if (watts > MAX_WATTS_PER_GPU * gpus) throw bad('energy_consumed', `${row.energy_consumed} kWh in ${row.duration} s is ${Math.round(watts)} W, more than ${MAX_WATTS_PER_GPU} W for each of ${gpus} GPUs`)
  return {
    tenantId,
    family,
    gpuModel: historyGpuModel(row.gpu_model),
    gpus,
    method: work.method,
    parameters: work.parameters,
    tokens: workTokens(work),
    energyKwh: row.energy_consumed / pue,
    durationMinutes: row.duration / 60,
    source: 'codecarbon',
    jobId: null,
    runId: row.run_id ?? null,
    createdAt: now
  }
}

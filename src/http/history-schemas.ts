import { Type, type Static } from 'typebox'
import { Work } from './work-schemas.js'

// POST /v1/energy-history: measured runs of a kind of work, as CodeCarbon's emissions.csv rows.

/**
 * One row of CodeCarbon's emissions.csv (https://mlco2.github.io/codecarbon/output.html): one
 * tracked run. Only the columns greenshift reads are checked; the file's others (timestamp,
 * project_name, run_id, emissions, emissions_rate, cpu_power, gpu_power, ram_power, country_name,
 * region, os, python_version, cpu_count, cpu_model, …) may come along and are ignored.
 */
export const CodeCarbonRow = Type.Object({
  duration: Type.Number({ exclusiveMinimum: 0, maximum: 31 * 24 * 3600, description: 'the run\'s duration, s' }),
  energy_consumed: Type.Number({ exclusiveMinimum: 0, maximum: 1e6, description: 'cpu_energy + gpu_energy + ram_energy, kWh' }),
  gpu_energy: Type.Number({ minimum: 0, maximum: 1e6, description: 'kWh' }),
  cpu_energy: Type.Number({ minimum: 0, maximum: 1e6, description: 'kWh' }),
  ram_energy: Type.Number({ minimum: 0, maximum: 1e6, description: 'kWh' }),
  gpu_model: Type.String({ minLength: 1, maxLength: 256, description: 'as CodeCarbon writes it, e.g. "1 x NVIDIA RTX A4000"' }),
  gpu_count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'default: the count before " x " in gpu_model, else 1' })),
  pue: Type.Optional(Type.Number({ minimum: 1, maximum: 3, description: 'the PUE CodeCarbon multiplied energy_consumed by, default 1: history keeps energy_consumed / pue' })),
  run_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'CodeCarbon\'s id of the run: a run this tenant already has is not stored again' }))
}, { additionalProperties: true })

export const HistoryInput = Type.Object({
  work: Work,
  family: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'as a job\'s labels.family; default method:parameters' })),
  rows: Type.Array(CodeCarbonRow, { minItems: 1, maxItems: 10_000, description: 'one row per run, each of the whole work' })
}, { additionalProperties: false })
export type HistoryInput = Static<typeof HistoryInput>

export const HistoryStored = Type.Object({
  stored: Type.Integer(),
  duplicates: Type.Integer({ description: 'rows not stored because this tenant already has their run_id' }),
  family: Type.String(),
  runs: Type.Array(Type.Object({
    gpuModel: Type.String({ description: 'as history keys it: the GPU table\'s name when it knows the model' }),
    gpus: Type.Integer(),
    tokens: Type.Number({ description: 'T: tokens × epochs' }),
    energyKwh: Type.Number({ description: 'IT energy (GPU + CPU + RAM), kWh' }),
    durationMinutes: Type.Number(),
    kwhPerMillionTokens: Type.Number()
  }))
})

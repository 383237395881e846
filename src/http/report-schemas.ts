import { Type } from 'typebox'
import { Nullable } from './schema-parts.js'
import { GROUP_BY_HELP } from '../core/report-periods.js'
import { FactorType, Gas, Signal } from './present-ledger.js'

// The emissions report's query and response, as the OpenAPI document shows them.

const Grams = (description: string) => Nullable(Type.Number({ description: `grams of the row's gas; ${description}` }))
const When = (description: string) => Type.String({ maxLength: 64, description: `${description}: a date (2026-11-01, UTC midnight) or an RFC 3339 date-time with an offset` })

export const ReportQuery = Type.Object({
  from: Type.Optional(When('start of the report, inclusive; default: 30 days before `to`')),
  to: Type.Optional(When('end of the report, exclusive; default: now')),
  groupBy: Type.String({
    maxLength: 400,
    default: 'day',
    description: `${GROUP_BY_HELP}. Time: UTC calendar months, ISO weeks (Monday 00:00 UTC) or UTC days; pool and zone: each attempt's own; tenant: every tenant (operator scope); label:<key>: the job's label (null without it)`
  }),
  format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })
}, { additionalProperties: false })

const Sums = {
  signal: Signal,
  gas: Gas,
  factorType: FactorType,
  energyKwh: Type.Number({ description: 'facility energy (IT × PUE) of the attempts\' time in the row, kWh' }),
  gpuEnergyKwh: Type.Number({ description: 'its GPU part, kWh' }),
  hostEnergyKwh: Type.Number({ description: 'its host part (CPU, RAM, network), kWh' }),
  actualGrams: Type.Number({ description: 'location-based Scope 2, grams of the row\'s gas: the attempts on the zone\'s actual intensity' }),
  marketGrams: Grams('market-based Scope 2 of the attempts with a market figure; null when none has one'),
  expectedGrams: Grams('expected at planning, over the expectedJobs planned on these labels'),
  expectedJobs: Type.Integer(),
  baselineGrams: Grams('the counterfactual, over the avoidedJobs whose avoided figure is on these labels'),
  avoidedGrams: Grams('baseline − actual over the avoidedJobs'),
  avoidedJobs: Type.Integer(),
  embodiedGrams: Grams('embodied carbon (gCO2e), apart from the operational figures; null when no job\'s pool sets it'),
  jobs: Type.Integer({ description: 'distinct jobs with attempt time in the row' }),
  provisionalJobs: Type.Integer({ description: 'of those, jobs whose ledger still rests partly on forecasts' }),
  measuredJobs: Type.Integer({ description: 'jobs whose every attempt\'s GPU energy was measured' }),
  estimatedJobs: Type.Integer({ description: 'jobs whose every attempt\'s energy was estimated from the pool\'s power model' }),
  sources: Type.Array(Type.String(), { description: 'every intensity source (with its version) the row\'s figures rest on' })
}

const Period = {
  periodStart: Nullable(Type.String({ format: 'date-time', description: 'the period clipped to [from, to); null without a time dimension' })),
  periodEnd: Nullable(Type.String({ format: 'date-time' }))
}

const Row = Type.Object({
  ...Period,
  group: Type.Record(Type.String(), Nullable(Type.String()), { description: 'the value of each non-time dimension, by its name (e.g. "label:team")' }),
  ...Sums
})

const Idle = Type.Object({
  ...Period,
  pool: Type.String(),
  zone: Type.String(),
  measuredFrom: Type.String({ format: 'date-time' }),
  measuredTo: Type.String({ format: 'date-time', description: 'the period up to now' }),
  signal: Signal,
  gas: Gas,
  factorType: FactorType,
  unallocatedGpuHours: Type.Number({ description: 'gpuCount × hours − the GPU-hours every attempt in the pool held' }),
  energyKwh: Type.Number({ description: 'unallocated GPU-hours × idleWattsPerGpu × PUE, kWh' }),
  gPerKwh: Nullable(Type.Number({ description: 'time-weighted average actual intensity of the zone over the period, g/kWh; null without actuals' })),
  grams: Nullable(Type.Number({ description: 'grams of the gas in `gas`; null without actuals' })),
  source: Nullable(Type.String()),
  provisional: Type.Boolean({ description: 'true when actuals do not cover the whole period: the average rests on the part they cover' })
})

export const Report = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  groupBy: Type.String(),
  units: Type.Object({ emissions: Type.Literal('g'), energy: Type.Literal('kWh') }, { description: 'grams of each figure\'s gas (co2 or co2e, see `gas`), kWh' }),
  jobsWithoutLedger: Type.Integer({ description: 'jobs with a run that started and overlaps [from, to) (or still runs) but no ledger yet: not in the figures' }),
  provisionalJobs: Type.Integer({ description: 'jobs in the report whose ledger still rests partly on forecasts' }),
  rows: Type.Array(Row, {
    description: 'one per period, group and labels (signal, gas, factor type), which are never summed across; each attempt\'s figures are pro-rated by the time it ran in each period, the job\'s expected, baseline, avoided and embodied figures by its attempts\' time'
  }),
  totals: Type.Array(Type.Object(Sums), { description: 'one per labels: the rows\' figures summed as shown; job counts are distinct jobs' }),
  idle: Type.Optional(Type.Array(Idle, {
    description: 'operator scope only: per pool with idleWattsPerGpu and per period, the power of its unallocated GPUs; charged to the operator, never in the rows or totals'
  }))
})

// The parts of the API's responses the dashboard reads (openapi/openapi.json has them in full).

export type Signal = 'average' | 'marginal'

/** What a figure in grams counts: every emissions figure on screen names these. */
export interface Basis { signal: Signal, gas: 'co2' | 'co2e', factorType: string }

export interface Zone {
  name: string
  provider: string
  signal: Signal
  pools: string[]
  chain: Array<{ provider: string, lastSuccessAt: string | null, lastError: string | null }>
  forecast: { horizonEnd: string | null, answeredBy: string | null, fetchedAt: string | null, lastError: string | null }
}

export interface Intensity extends Basis {
  zone: string
  source: string
  version: string | null
  unit: string
  points: Array<{ start: string, end: string, gPerKwh: number, kind: 'actual' | 'forecast' | 'fallback' }>
}

export interface Pool { name: string, zone: string, gpuModel: string, gpuCount: number, enabled: boolean }

export interface Span { start: string, end: string }

export interface Plan {
  pool: string
  zone: string
  segments: Span[]
  latestSafeStart: string
  energyKwh: number
  expected: Basis & { grams: number, source: string, usesFallback: boolean }
  baseline: Basis & { grams: number, pool: string, start: string, rule: string }
  expectedAvoided: Basis & { grams: number, percent: number }
  plannedAt: string
}

export type JobState = 'pending' | 'planned' | 'dispatched' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface Job {
  id: string
  name: string
  state: JobState
  gpus: number
  durationMinutes: number
  deadline: string
  pools: string[]
  submittedAt: string
  updatedAt: string
  plan: Plan | null
}

export interface Run {
  attempt: number
  pool: string
  executor: string
  dispatchedAt: string
  startedAt: string | null
  finishedAt: string | null
  energyKwh: number | null
  outcome: string | null
  detail: string | null
}

export interface LedgerFigure extends Basis { grams: number, source: string, provisional: boolean }

export interface JobDetail extends Job {
  events: Array<{ at: string, type: string, fromState: string | null, toState: string | null, reason: string }>
  runs: Run[]
  segments: Array<Span & { kind: string, pool: string }>
  ledger: null | {
    energyKwh: number
    energyMethod: string
    runMinutes: number
    expected: LedgerFigure
    baseline: LedgerFigure & { pool: string }
    actual: LedgerFigure & { pool: string }
    avoidedGrams: number | null
    avoidedPercent: number | null
    avoidedNote: string | null
    provisional: boolean
    embodiedGrams: number | null
  }
}

export interface ReportRow extends Basis {
  periodStart: string | null
  actualGrams: number
  baselineGrams: number | null
  avoidedGrams: number | null
  jobs: number
}

export interface Report { from: string, to: string, rows: ReportRow[], totals: ReportRow[], jobsWithoutLedger: number }

export interface Quote { plan: Plan, options: Array<{ pool: string, zone: string, start: string, grams: number, gas: string, factorType: string, usesFallback: boolean }> }

/**
 * The carbon ledger's types: what a job's emissions were once it ran, figure by figure. Re-exported
 * by `types.ts`, which the rest of the code imports them from.
 */
import type { BaselineRule, FactorType, Gas, Instant, RunOutcome, SciUnit, Signal } from './types.js'

/** A figure of the ledger: grams with what they rest on. */
export interface LedgerFigure {
  grams: number
  signal: Signal
  gas: Gas
  factorType: FactorType
  /**
   * Where the intensity came from, with its version after `@` (a file's content hash, an API's
   * fetch time). Expected: the plan's forecast source as stored. Baseline and actual, by part:
   * `actual:<source>`, `forecast:<source>` (or `fallback:<source>` for the labelled fallback
   * profile), joined with ` + ` when actuals cover part and the stored forecast the rest.
   */
  source: string
  method: 'expected' | 'measured' | 'estimated'
  /** True while actual intensity does not yet cover the interval it prices. */
  provisional: boolean
}

/**
 * One attempt of a job as its ledger counts it: every attempt that ran, lost and failed ones
 * included, each priced over its own interval. Energies at the facility boundary (IT × PUE);
 * `gpuEnergyKwh` + `hostEnergyKwh` = `energyKwh`.
 */
export interface LedgerAttempt {
  attempt: number
  pool: string
  zone: string
  outcome: RunOutcome
  start: Instant
  end: Instant
  energyKwh: number
  gpuEnergyKwh: number
  hostEnergyKwh: number
  energyMethod: 'measured' | 'estimated'
  /** Location-based grams over [start, end) on the zone's actual intensity. */
  grams: number
  signal: Signal
  gas: Gas
  factorType: FactorType
  /** Market-based grams; null when there is no market-based factor (see `JobLedger.marketBased`). */
  marketGrams: number | null
  source: string
  provisional: boolean
}

/** Market-based Scope 2 of a job's attempts: the pools' contractual or residual-mix factors. */
export interface MarketFigure {
  grams: number
  /** The energy-weighted factor, gCO2e/kWh. */
  gPerKwh: number
  /** The instruments, joined with " + " when attempts ran in pools with different ones; null when location-based stands in. */
  instrument: string | null
  /** `contract` or `residual-mix` from the pool's `market`; `location`: no market factor, the location-based average stands in (GHG Protocol Scope 2 hierarchy). */
  basis: 'contract' | 'residual-mix' | 'location' | 'mixed'
}

/** Software Carbon Intensity (Green Software Foundation): (E × I + M) per functional unit. */
export interface SciFigure {
  grams: number
  unit: SciUnit | '1k-tokens'
  /** How many functional units the job was: 1 for `job`, its GPU-hours for `gpu-hour`. */
  units: number
}

/**
 * A job's carbon ledger once it has run: expected (at plan time, forecast), baseline (the
 * counterfactual: started at max(submittedAt, notBefore) on the baseline pool, with the energy the
 * job would have drawn there) and actual (every attempt), both on actual intensity, and avoided.
 */
export interface JobLedger {
  /** Every attempt's energy at the facility boundary, kWh; `gpuEnergyKwh` + `hostEnergyKwh`. */
  energyKwh: number
  gpuEnergyKwh: number
  hostEnergyKwh: number
  /** `measured` when every attempt's GPU energy was measured, `estimated` when none was, else `mixed`. */
  energyMethod: 'measured' | 'estimated' | 'mixed'
  /** Every attempt's run time, ms. */
  runMs: number
  attempts: LedgerAttempt[]
  expected: LedgerFigure
  baseline: LedgerFigure & { pool: string, zone: string, start: Instant, end: Instant, rule: BaselineRule, energyKwh: number }
  /** Sum of the attempts; pool and zone of the last, start of the first and end of the last. */
  actual: LedgerFigure & { pool: string, zone: string, start: Instant, end: Instant }
  /** baseline − actual, grams; null when the two differ in signal, gas or factor type (see `avoidedNote`). */
  avoidedGrams: number | null
  /** Why `avoidedGrams` is null; null when it is set. */
  avoidedNote: string | null
  marketBased: MarketFigure | null
  sci: SciFigure
  /** True while actual intensity does not cover every interval yet; the scheduler recomputes it. */
  provisional: boolean
  /** True when every figure rests on actual intensity; false for a ledger settled on forecasts because its actuals passed retention. */
  verified: boolean
  /** gCO2e of manufacturing the GPUs for the run's GPU-hours; null when the pool sets no figure. */
  embodiedGrams: number | null
  computedAt: Instant
  /** Set when an operator restated the ledger: when, why, and the avoided figure before. */
  restated?: { at: Instant, reason: string }
  /** Stored only: set by the write that first made the ledger final, which counted it in the metrics (once, whatever writes it after). */
  metered?: true
}

import { createHash } from 'node:crypto'
import { labelsOf, type Labels } from '../core/ledger-price.js'
import type { FactorType, Gas, Instant, Series, Signal } from '../core/types.js'

/**
 * Where greenshift gets carbon intensity for a zone. One provider may serve several zones; the
 * scheduler keeps a map zone → provider. Implementations never mix signals: every series they return
 * carries the provider's `signal`.
 */
export interface IntensityProvider {
  /** Short stable name used in logs and metrics: 'csv', 'replay', later 'watttime', ... */
  readonly id: string
  /** The kind of intensity this provider reports; every returned series has this signal. */
  readonly signal: Signal
  /** What its values count; every returned series states it (absent: the default of `signal`, see `labelsOf`). */
  readonly gas?: Gas
  /** Which emissions its factors cover; every returned series states it (absent: the default of `signal`). */
  readonly factorType?: FactorType
  /**
   * The provider's forecast covering [from, to), as far as its horizon reaches: the series may end
   * before `to`, and the planner then uses its labelled fallback. Points are sorted and clipped to
   * [from, to).
   */
  forecast (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series>
  /**
   * Measured (or best known historical) intensity over [from, to), sorted and clipped. A series of
   * a file carries its `version` (`contentVersion`); an API's has none: its fetch time is the
   * version, which the store keeps (`fetched_at`).
   */
  actuals (zone: string, from: Instant, to: Instant, signal?: AbortSignal): Promise<Series>
}

/**
 * Stable reasons a provider call fails; callers branch on these, never on messages.
 * - `unknown-zone`: the provider has no data for this zone.
 * - `bad-range`: `from` or `to` is not a finite instant.
 * - `bad-data`: the source holds or returned data that cannot be used (malformed, gaps, units).
 * - `unavailable`: the source could not be read or reached (file missing, network, 5xx).
 * - `unauthorized`, `rate-limited`, `timeout`: for providers over HTTP (401/403, 429, deadline).
 */
export type ProviderErrorCode =
  | 'unknown-zone'
  | 'bad-range'
  | 'bad-data'
  | 'unavailable'
  | 'unauthorized'
  | 'rate-limited'
  | 'timeout'

/** A provider failed for one zone; `code` is stable, the message is for people. */
export class ProviderError extends Error {
  readonly provider: string
  readonly zone: string
  readonly code: ProviderErrorCode

  constructor (provider: string, zone: string, code: ProviderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ProviderError'
    this.provider = provider
    this.zone = zone
    this.code = code
  }
}

/** Throws `bad-range` unless both ends are finite instants; an empty or inverted range is allowed. */
export function checkRange (provider: string, zone: string, from: Instant, to: Instant): void {
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw new ProviderError(provider, zone, 'bad-range', `${provider}: range [${from}, ${to}) for zone ${zone} is not two finite instants`)
  }
}

/**
 * The version of a data file: `sha256:` and the first 16 hex digits (64 bits) of the SHA-256 of its
 * bytes, enough to tell two edits of one file apart and short enough to print beside every figure.
 */
export function contentVersion (bytes: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`
}

/** A provider's labels: its signal, and its gas and factor type as it states them (else the defaults of its signal). */
export function providerLabels (provider: Pick<IntensityProvider, 'signal' | 'gas' | 'factorType'> | undefined): Labels {
  return configuredLabels(provider?.signal ?? 'average', provider?.gas, provider?.factorType)
}

/** A configured provider's labels: what the config states, else the defaults of its signal (`labelsOf`). */
export function configuredLabels (signal: Signal, gas: Gas | undefined, factorType: FactorType | undefined): Labels {
  const defaults = labelsOf({ signal })
  return { signal, gas: gas ?? defaults.gas, factorType: factorType ?? defaults.factorType }
}

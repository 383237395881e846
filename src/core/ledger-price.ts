import { gramsFromIntegral } from './emissions.js'
import { covers, integral, prepare } from './series.js'
import type { FactorType, Gas, Instant, IntensityPoint, Interval, LedgerFigure, Series, Signal } from './types.js'

/** A zone's intensity as the ledger prices it: actuals first, the stored forecast for what they do not cover yet. */
export interface ZoneIntensity {
  actual: Series
  forecast: Series
}

/** What a figure counts: its signal, gas and factor type. Figures differing in any are never compared or summed. */
export interface Labels {
  signal: Signal
  gas: Gas
  factorType: FactorType
}

/** A series' labels; a series that states no gas or factor type is taken as co2e/lifecycle (average) or co2/marginal (marginal). */
export function labelsOf (s: Pick<Series, 'signal' | 'gas' | 'factorType'>): Labels {
  const marginal = s.signal === 'marginal'
  return { signal: s.signal, gas: s.gas ?? (marginal ? 'co2' : 'co2e'), factorType: s.factorType ?? (marginal ? 'marginal' : 'lifecycle') }
}

/** True when two figures count the same thing and may be compared or summed. */
export function sameLabels (a: Labels, b: Labels): boolean {
  return a.signal === b.signal && a.gas === b.gas && a.factorType === b.factorType
}

/**
 * A series' source with its version, `<source>@<version>`, when it states one. A provider's
 * forecast extended by greenshift's model keeps the version beside the provider's part, as the
 * model's part names its own (its training end): `replay:zones-2022@sha256:…+model:greenshift-ew-profile@2026-12-03T15:00Z`.
 */
export function versioned (s: Pick<Series, 'source' | 'version'>): string {
  if (s.version === undefined) return s.source
  const model = s.source.indexOf('+model:greenshift-')
  return model < 0 ? `${s.source}@${s.version}` : `${s.source.slice(0, model)}@${s.version}${s.source.slice(model)}`
}

export type Priced = Omit<LedgerFigure, 'method'>

/**
 * Grams of drawing `kw` over `span` on the zone's actuals, known only before `now`. Time the actuals
 * miss is priced on the forecast of the same signal (provisional). When the forecast has another
 * signal, a figure never mixes them: the whole span is priced on the forecast instead, if it can be.
 */
export function price (kw: number, span: Interval, zone: ZoneIntensity, now: Instant): Priced | undefined {
  const known = { ...zone.actual, points: tidy(zone.actual.points, now) }
  const a = prepare(known)
  const gaps = uncovered(known.points, span)
  const fromActual = integral(a, span.start, span.end)
  const actualLabel = `actual:${versioned(zone.actual)}`
  if (gaps.length === 0) return { grams: gramsFromIntegral(fromActual, kw), ...labelsOf(known), source: actualLabel, provisional: false }
  const forecast = { ...zone.forecast, points: tidy(zone.forecast.points, Infinity) }
  const f = prepare(forecast)
  const label = (parts: readonly Interval[]) => `${parts.some(g => g.end > (forecast.fallbackFrom ?? Infinity)) ? 'fallback' : 'forecast'}:${versioned(forecast)}`
  const usesActual = gaps.reduce((ms, g) => ms + g.end - g.start, 0) < span.end - span.start
  if (sameLabels(labelsOf(forecast), labelsOf(known)) && usesActual && gaps.every(g => covers(f, g.start, g.end))) {
    const fromForecast = gaps.reduce((sum, g) => sum + integral(f, g.start, g.end), 0)
    return { grams: gramsFromIntegral(fromActual + fromForecast, kw), ...labelsOf(known), source: `${actualLabel} + ${label(gaps)}`, provisional: true }
  }
  if (!covers(f, span.start, span.end)) return undefined
  return { grams: gramsFromIntegral(integral(f, span.start, span.end), kw), ...labelsOf(forecast), source: label([span]), provisional: true }
}

/**
 * Points sorted, cut at `until` (actual intensity of the future is not known, whatever a provider
 * returns), and with overlaps removed: stored points of two fetches may overlap, the earlier start
 * keeps the shared time.
 */
function tidy (points: readonly IntensityPoint[], until: Instant): IntensityPoint[] {
  const out: IntensityPoint[] = []
  let last = -Infinity
  for (const p of [...points].sort((x, y) => x.start - y.start)) {
    const start = Math.max(p.start, last)
    const end = Math.min(p.end, until)
    if (end > start && Number.isFinite(p.gPerKwh)) {
      out.push({ start, end, gPerKwh: p.gPerKwh })
      last = end
    }
  }
  return out
}

/** The parts of `span` no point covers; `points` sorted and without overlaps. */
function uncovered (points: readonly IntensityPoint[], span: Interval): Interval[] {
  const gaps: Interval[] = []
  let t = span.start
  for (const p of points) {
    if (p.end <= t) continue
    if (p.start >= span.end) break
    if (p.start > t) gaps.push({ start: t, end: p.start })
    t = Math.max(t, p.end)
  }
  if (t < span.end) gaps.push({ start: t, end: span.end })
  return gaps
}

/**
 * How many ms of `span` the points cover before `until`, overlaps counted once: lets a caller pick
 * the better of two actual series without building either.
 */
export function coveredMs (points: readonly IntensityPoint[], span: Interval, until: Instant): number {
  const gaps = uncovered(tidy(points, until), span)
  return span.end - span.start - gaps.reduce((ms, g) => ms + g.end - g.start, 0)
}

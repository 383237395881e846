import type { PlanBody, QuoteBody } from './api-types.js'
import { change, gasName, kg } from './format.js'
import { utc } from './time.js'

const RULES: Record<string, string> = {
  preferred: 'its preferred pool',
  home: "the tenant's home pool",
  'config-order': 'the first pool that could run it'
}

/** What the figures count, said once: `CO2e on average intensity (lifecycle factors)`. */
export function figuresNote (f: { signal: string, gas: string, factorType: string }): string {
  return `${gasName(f.gas)} on ${f.signal} intensity (${f.factorType} factors)`
}

/** `2026-11-23 18:00Z → 20:00Z`: the end's date only when it differs from the start's. */
export function window (start: string, end: string): string {
  const [a, b] = [utc(start), utc(end)]
  return `${a} → ${a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b}`
}

/** The baseline in words: `starting now on gpu-north (its preferred pool)`. */
export function baselineWords (plan: PlanBody): string {
  return `starting at once on ${plan.baseline.pool} (${RULES[plan.baseline.rule] ?? plan.baseline.rule})`
}

/** A plan as indented `name  value` lines: pool, window(s), expected vs baseline. */
export function planLines (plan: PlanBody, indent = '  '): string {
  const segments = plan.segments.map(s => window(s.start, s.end))
  const rows: Array<[string, string]> = [
    ['pool', `${plan.pool} (${plan.zone})`],
    ...segments.map((w, i): [string, string] => [i === 0 ? (segments.length > 1 ? 'windows' : 'window') : '', w]),
    ['latest safe start', utc(plan.latestSafeStart)],
    ['expected', `${kg(plan.expected.grams)}${bandText(plan.expected.band)} ${paren(change(plan.expected.grams, plan.baseline.grams))}`.trimEnd() + ` vs ${kg(plan.baseline.grams)} ${baselineWords(plan)}`],
    ['figures', `${figuresNote(plan.expected)}${plan.expected.usesFallback ? '; partly beyond the forecast, on the fallback profile' : ''}`]
  ]
  const width = Math.max(...rows.map(r => r[0].length))
  return rows.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`).join('\n') + '\n'
}

const paren = (s: string) => s === '' ? '' : `(${s})`

/** ` [p10–p90 a–b]` for a figure with a band that is not a single value; else nothing. */
function bandText (band: { p10: number, p90: number } | undefined): string {
  if (band === undefined || kg(band.p10) === kg(band.p90)) return ''
  const [lo, hi] = [kg(band.p10), kg(band.p90)]
  const unit = lo.slice(lo.indexOf(' '))
  return ` [p10–p90 ${hi.endsWith(unit) ? lo.slice(0, -unit.length) : lo}–${hi}]`
}

/**
 * A quote CATS-style: one line per pool, lowest first, each against starting at once on the
 * baseline pool, then what the figures count and what a submit would plan.
 */
export function quoteText (quote: QuoteBody, header: string): string {
  const { plan, options } = quote
  const base = plan.baseline.grams
  const lines = options.map(o =>
    `start ${utc(o.start)} on ${o.pool} (${o.zone}) · ${kg(o.grams)}${bandText(o.band)} vs ${kg(base)} now ${paren(change(o.grams, base))}`.trimEnd() +
    (o.usesFallback ? ' · partly beyond the forecast' : ''))
  const first = plan.segments[0]
  const chosen = first === undefined ? '' : `${plan.pool} from ${utc(first.start)}${plan.segments.length > 1 ? ` in ${plan.segments.length} segments` : ''}`
  return [
    header,
    ...(lines.length > 0 ? lines : ['no pool can run it in time on comparable figures']),
    `${figuresNote(plan.baseline)}; "now" is ${baselineWords(plan)}`,
    `submit would plan: ${chosen} (latest safe start ${utc(plan.latestSafeStart)})`
  ].join('\n') + '\n'
}

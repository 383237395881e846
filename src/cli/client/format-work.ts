import { FLOPS_PER_PARAM_TOKEN, workTokens } from '../../core/estimate/estimate.js'
import type { WorkBody, WorkEstimateBody } from './api-types.js'
import { kwhText } from './format.js'
import { formatMinutes } from './time.js'

interface Range { low: number, mid: number, high: number }

const minutes = (m: number) => formatMinutes(Math.max(1, Math.round(m)))
const kwh = (x: number) => kwhText(x).replace(' kWh', '')

/** A duration and its range: `2h13m (1h29m–3h41m)`. */
export const durationRange = (r: Range): string => `${minutes(r.mid)} (${minutes(r.low)}–${minutes(r.high)})`

/** An energy and its range: `0.885 kWh (0.59–1.47)`. */
export const energyRange = (r: Range): string => `${kwhText(r.mid)} (${kwh(r.low)}–${kwh(r.high)})`

/** The minutes a work job is planned with: its estimate's mid, rounded up, as the server plans it. */
export const plannedMinutes = (e: WorkEstimateBody): number => Math.max(1, Math.ceil(e.durationMinutes.mid))

/** A count as short as the user would type it: `512`, `52000`, `7e9`, `5.32e7`. */
export function count (x: number): string {
  if (x < 1e5) return String(Number(x.toPrecision(4)))
  let e = Math.floor(Math.log10(x))
  let m = Number((x / 10 ** e).toPrecision(3))
  if (m >= 10) [m, e] = [m / 10, e + 1]
  return `${m}e${e}`
}

/** `lora 4·N·T, N = 7e9, T = 52000 × 512 × 2 epochs = 5.32e7 tokens`. */
export function workText (work: WorkBody): string {
  const epochs = work.epochs === undefined ? '' : ` × ${count(work.epochs)} epoch${work.epochs === 1 ? '' : 's'}`
  const perEpoch = work.tokens === undefined ? `${count(work.samples ?? 0)} × ${count(work.seqLen ?? 0)}` : count(work.tokens)
  const tokens = work.tokens !== undefined && epochs === '' ? `${perEpoch} tokens` : `${perEpoch}${epochs} = ${count(workTokens(work))} tokens`
  const at = work.precision === undefined ? '' : ` at ${work.precision}`
  return `${work.method}${at} ${FLOPS_PER_PARAM_TOKEN[work.method]}·N·T, N = ${count(work.parameters)}, T = ${tokens}`
}

const methodText = (e: { method: string, runs?: number | undefined }): string =>
  e.method === 'estimated:history' ? `${e.method}, ${e.runs ?? 0} run${e.runs === 1 ? '' : 's'}` : e.method

/**
 * What a job's work was planned as, in two lines: the work and its longest estimated run (the job's
 * duration; each pool is planned at its own estimated speed), then each pool's estimate and the
 * pools left out.
 */
export function workLines (work: WorkBody, estimate: WorkEstimateBody, indent = ''): string {
  const pools = estimate.pools.map(p => `${p.pool} ${durationRange(p.durationMinutes)}, ${energyRange(p.energyKwh)}` +
    (p.method === estimate.method ? '' : ` ${methodText(p)}`))
  const excluded = estimate.excluded.map(x => `${x.pool} (${x.reason})`)
  return [
    `work: ${workText(work)} → at most ${formatMinutes(plannedMinutes(estimate))}, on ${estimate.pool} (${methodText(estimate)}); each pool is planned at its own speed`,
    `estimate per pool: ${pools.join('; ')}${excluded.length === 0 ? '' : `; left out: ${excluded.join('; ')}`}`
  ].map(l => indent + l + '\n').join('')
}

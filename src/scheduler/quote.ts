import { planJob } from '../core/planner.js'
import { labelsOf, sameLabels } from '../core/ledger-price.js'
import type { JobWorkEstimate } from '../core/estimate/history.js'
import { expectedGrams, type FactorType, type Gas, type Instant, type JobPlan } from '../core/types.js'
import { ApiError } from '../errors.js'
import type { Deps } from './deps.js'
import { intakeState, RELEASES_MS } from './intake-state.js'
import { planFor, poolViews } from './plan.js'
import { checkShape, checkSpec, jobFromSpec, planRequest, type JobSpec } from './resolve.js'
import { allowedPools } from './submit.js'
import { resolveWork } from './work.js'

/** The best window in one pool, for showing the user what each region would cost. */
export interface QuoteOption {
  pool: string
  zone: string
  start: Instant
  /** Expected (median) grams, with the forecast's p10–p90 band when it gave one. */
  grams: number
  band?: { p10: number, p90: number } | undefined
  gas: Gas
  factorType: FactorType
  usesFallback: boolean
}

/**
 * Plans a job without storing anything: the chosen plan plus the best option in each eligible pool,
 * and for a job that gave `work` the estimate it was planned with (the tenant's history informs it).
 */
export async function quoteJob (
  deps: Deps, spec: JobSpec, now: Instant, homePool: string | null = null, tenantId: string | null = null
): Promise<{ plan: JobPlan, options: QuoteOption[], estimate: JobWorkEstimate | null }> {
  checkShape(spec)
  const resolved = await resolveWork(deps, tenantId, spec)
  const { deadline, notBefore } = checkSpec(resolved, now)
  const intake = intakeState(deps.store)
  const pools = await allowedPools(deps, intake, resolved)
  const req = planRequest(jobFromSpec(resolved, '', deadline, notBefore, now), pools, now, { home: homePool })
  const views = await poolViews(deps, pools, [], req.earliestStart, deadline, now)
  // Memory brought up to the pools' current versions (one query): a quote plans on what is reserved now.
  await intake.current(pools, RELEASES_MS)
  await intake.load(pools, now)
  const { plan } = planFor(req, views, now, deps, intake.ledger)
  if (plan === undefined) throw new ApiError(503, 'no-intensity-data', 'no intensity data is available yet for the allowed pools; try again shortly')
  const options: QuoteOption[] = []
  // Only pools that count what the baseline pool counts: the plan never compares the others.
  const baseline = views.find(v => v.pool.name === plan.baseline.pool)?.series
  for (const view of views) {
    if (baseline === undefined || !sameLabels(labelsOf(view.series), labelsOf(baseline))) continue
    const outcome = planJob({ ...req, pools: [view.pool.name] }, [view], now, undefined, intake.ledger)
    if (!outcome.ok) continue
    const p = outcome.placement
    const { gas, factorType } = labelsOf(view.series)
    const band = p.band === undefined ? undefined : { p10: p.band.p10, p90: p.band.p90 }
    options.push({ pool: p.pool, zone: p.zone, start: p.segments[0]?.start ?? now, grams: expectedGrams(p), band, gas, factorType, usesFallback: p.usesFallback })
  }
  // Cheapest first by what the job minimises: the median, or (averse) the p90.
  const cost = (o: QuoteOption) => req.risk === 'averse' ? o.band?.p90 ?? o.grams : o.grams
  options.sort((a, b) => cost(a) - cost(b))
  return { plan, options, estimate: resolved.workEstimate ?? null }
}

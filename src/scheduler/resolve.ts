import { randomUUID } from 'node:crypto'
import type { Work } from '../core/estimate/estimate.js'
import { poolMinutes, type JobWorkEstimate } from '../core/estimate/history.js'
import { MINUTE_MS, type BaselineRule, type Instant, type Job, type PlanRequest, type Pool, type Risk, type SciUnit } from '../core/types.js'
import { invalidField } from '../errors.js'

/** A job as a client asks for it (the body of `POST /v1/jobs` and `POST /v1/quotes`). */
export interface JobSpec {
  name: string
  gpus: number
  /** Exactly one of `durationMinutes` and `work`: a job's work has its duration estimated (see `resolveWork`). */
  durationMinutes?: number
  work?: Work
  deadline: string
  notBefore?: string
  interruptible?: boolean
  minSegmentMinutes?: number
  pools?: string[]
  zones?: string[]
  preferredPool?: string
  wattsPerGpu?: number
  energyKwh?: number
  sciUnit?: SciUnit
  risk?: Risk
  command?: string[]
  payload?: unknown
  labels?: Record<string, string>
}

/** A spec with its duration: given, or estimated from its work (then with the estimate, and the pools it was made for). */
export type ResolvedSpec = JobSpec & { durationMinutes: number, workEstimate?: JobWorkEstimate }

export const DEFAULT_MIN_SEGMENT_MINUTES = 30
/** Resuming from a checkpoint costs this much extra run time per segment after the first. */
export const RESUME_OVERHEAD_MS = 2 * MINUTE_MS
/** Planning further ahead than this is refused: forecasts and capacity that far out mean little. */
export const MAX_DEADLINE_AHEAD_MS = 31 * 24 * 60 * MINUTE_MS

/** Opaque payloads may nest at most this deep: deeper JSON would overflow hashing and the store. */
export const MAX_PAYLOAD_DEPTH = 32

/** Depth of a JSON value, counted without recursion, stopping once past `limit`. */
function jsonDepth (value: unknown, limit: number): number {
  let level: unknown[] = [value]
  let depth = 0
  while (level.length > 0 && depth <= limit) {
    depth++
    level = level.flatMap(v => (typeof v === 'object' && v !== null) ? Object.values(v) : [])
  }
  return level.length > 0 ? depth + 1 : depth
}

/** Checks that must pass before the body is even hashed for idempotency. */
export function checkShape (spec: JobSpec): void {
  if (jsonDepth(spec.payload, MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH) {
    throw invalidField('payload', `may nest at most ${MAX_PAYLOAD_DEPTH} levels deep`, 400)
  }
}

/** JSON with object keys sorted at every level, so equal bodies hash equally whatever their key order. */
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

function instant (field: string, value: string): Instant {
  const t = Date.parse(value)
  if (!Number.isFinite(t)) throw invalidField(field, `"${value}" is not an RFC 3339 date-time`, 400)
  return t
}

/** Checks what the schema cannot (exclusive fields, instants in range) and returns parsed instants. */
export function checkSpec (spec: ResolvedSpec, now: Instant): { deadline: Instant, notBefore: Instant | null } {
  if (spec.command !== undefined && spec.payload !== undefined) throw invalidField('payload', 'give command or payload, not both', 400)
  if (spec.pools !== undefined && spec.zones !== undefined) throw invalidField('zones', 'give pools or zones, not both', 400)
  if (spec.wattsPerGpu !== undefined && spec.energyKwh !== undefined) throw invalidField('energyKwh', 'give wattsPerGpu or energyKwh, not both', 400)
  const deadline = instant('deadline', spec.deadline)
  const notBefore = spec.notBefore === undefined ? null : instant('notBefore', spec.notBefore)
  if (deadline <= now) throw invalidField('deadline', `${spec.deadline} has already passed`)
  if (deadline - now > MAX_DEADLINE_AHEAD_MS) throw invalidField('deadline', 'must be within 31 days')
  const earliest = Math.max(now, notBefore ?? now)
  if (notBefore !== null && notBefore >= deadline) throw invalidField('notBefore', 'must be before the deadline')
  if (notBefore !== null && now - notBefore > MAX_DEADLINE_AHEAD_MS) throw invalidField('notBefore', 'may be at most 31 days in the past')
  // Work fits when it fits on its fastest pool: the slower ones are then left out by planning.
  const minutes = spec.workEstimate === undefined ? spec.durationMinutes : Math.min(...Object.values(poolMinutes(spec.workEstimate)))
  if (earliest + minutes * MINUTE_MS > deadline) {
    throw invalidField(spec.work === undefined ? 'durationMinutes' : 'work', `${minutes} minutes${spec.work === undefined ? '' : ' (estimated, on the fastest allowed pool)'} do not fit between ${new Date(earliest).toISOString()} and the deadline ${spec.deadline}`)
  }
  return { deadline, notBefore }
}

/**
 * The pools a job may use, baseline pool first: `preferredPool`, then the named pools (or the pools
 * of the named zones, or every pool) in configuration order. Unknown names are 422s naming the field.
 */
export function eligiblePools (spec: JobSpec, all: Pool[], zones: ReadonlySet<string>): Pool[] {
  const byName = new Map(all.map(p => [p.name, p]))
  let chosen: Pool[]
  if (spec.pools !== undefined) {
    chosen = spec.pools.map((name, i) => {
      const pool = byName.get(name)
      if (pool === undefined) throw invalidField(`pools[${i}]`, `unknown pool "${name}"`)
      return pool
    })
  } else if (spec.zones !== undefined) {
    spec.zones.forEach((zone, i) => {
      if (!zones.has(zone)) throw invalidField(`zones[${i}]`, `unknown zone "${zone}"`)
    })
    chosen = all.filter(p => spec.zones?.includes(p.zone))
  } else {
    chosen = all
  }
  chosen = chosen.filter(p => p.enabled)
  if (chosen.length === 0) throw invalidField(spec.pools !== undefined ? 'pools' : 'zones', 'no enabled pool is allowed for this job')
  const largest = Math.max(...chosen.map(p => p.gpuCount))
  if (spec.gpus > largest) throw invalidField('gpus', `${spec.gpus} GPUs is more than any allowed pool has (largest: ${largest})`)
  if (spec.preferredPool !== undefined) {
    const preferred = chosen.find(p => p.name === spec.preferredPool)
    if (preferred === undefined) throw invalidField('preferredPool', `"${spec.preferredPool}" is not an enabled pool this job may use`)
    // The baseline pool: one that cannot hold the job would make the counterfactual a fiction.
    if (preferred.gpuCount < spec.gpus) throw invalidField('preferredPool', `"${preferred.name}" has ${preferred.gpuCount} GPUs and cannot hold ${spec.gpus}: it cannot be this job's baseline pool`)
    chosen = [preferred, ...chosen.filter(p => p !== preferred)]
  }
  return chosen
}

/** Whether a pool's executor runs the job's command (agent and Slurm pools); a webhook receiver decides for itself. */
const runsCommand = (p: Pool): boolean => p.executor.kind !== 'webhook'

/**
 * A job without a command may run only where nothing needs one: agent and Slurm pools run the job's
 * `command`, and without one it would be accepted only to fail at dispatch. A webhook receiver gets
 * the `payload` (or nothing) and decides for itself.
 */
export function requireCommand (spec: Pick<JobSpec, 'command'>, pools: readonly Pool[]): void {
  if (spec.command !== undefined && spec.command.length > 0) return
  const running = pools.filter(runsCommand)
  if (running.length === 0) return
  const names = running.slice(0, 3).map(p => `${p.name} (${p.executor.kind})`).join(', ') + (running.length > 3 ? ` and ${running.length - 3} more` : '')
  throw invalidField('command', `is required: this job may run on ${names}, and agent and Slurm pools run a job's command; give command as an argv (["python", "train.py"]), or allow only webhook pools in pools`)
}

/** A new `pending` job from a validated spec (`checkSpec` gave the instants). */
export function jobFromSpec (spec: ResolvedSpec, tenantId: string, deadline: Instant, notBefore: Instant | null, now: Instant): Job {
  return {
    id: randomUUID(),
    tenantId,
    name: spec.name,
    state: 'pending',
    gpus: spec.gpus,
    durationMinutes: spec.durationMinutes,
    deadline,
    notBefore,
    interruptible: spec.interruptible ?? false,
    minSegmentMinutes: spec.minSegmentMinutes ?? DEFAULT_MIN_SEGMENT_MINUTES,
    pools: spec.pools ?? [],
    zones: spec.zones ?? [],
    preferredPool: spec.preferredPool ?? null,
    wattsPerGpu: spec.wattsPerGpu ?? null,
    energyKwh: spec.energyKwh ?? null,
    sciUnit: spec.sciUnit ?? 'job',
    risk: spec.risk ?? 'neutral',
    command: spec.command ?? null,
    payload: spec.payload ?? null,
    labels: spec.labels ?? {},
    submittedAt: now,
    updatedAt: now,
    plan: null,
    refusedPools: [],
    ...(spec.work === undefined ? {} : { work: spec.work }),
    ...(spec.workEstimate === undefined ? {} : { workEstimate: spec.workEstimate })
  }
}

/** What fixes a job's baseline pool besides its own `preferredPool`: its tenant's home pool, or the pool an earlier plan chose. */
export interface BaselineChoice {
  /** The tenant's `homePool`, if it has one. */
  home?: string | null
  /** The baseline pool of the job's current plan: a re-plan keeps its counterfactual. */
  pinned?: string
}

/**
 * The planner's view of a job. Its pools are `pools` with the baseline pool first: the plan's
 * (pinned) one; else its `preferredPool` (rule `preferred`); else its tenant's home pool, when the
 * job may run there and it holds the job (`home`); else the first of `pools` that holds the job
 * (`config-order`: the job's own `pools` order, or the configuration's). The baseline starts at
 * max(submittedAt, notBefore).
 */
export function planRequest (
  spec: Pick<Job, 'gpus' | 'durationMinutes' | 'deadline' | 'notBefore' | 'interruptible' | 'minSegmentMinutes' | 'wattsPerGpu' | 'energyKwh' | 'preferredPool' | 'submittedAt' | 'risk'> & Partial<Pick<Job, 'workEstimate'>>,
  pools: Pool[],
  now: Instant,
  choice: BaselineChoice = {}
): PlanRequest {
  const { pool, rule } = baselineOf(spec, pools, choice)
  const req: PlanRequest = {
    gpus: spec.gpus,
    durationMs: spec.durationMinutes * MINUTE_MS,
    earliestStart: Math.max(now, spec.notBefore ?? now),
    deadline: spec.deadline,
    interruptible: spec.interruptible,
    minSegmentMs: spec.minSegmentMinutes * MINUTE_MS,
    resumeOverheadMs: RESUME_OVERHEAD_MS,
    pools: pool === undefined ? pools.map(p => p.name) : [pool.name, ...pools.filter(p => p !== pool).map(p => p.name)],
    baselineRule: rule,
    baselineStart: Math.max(spec.submittedAt, spec.notBefore ?? spec.submittedAt),
    risk: spec.risk
  }
  if (spec.wattsPerGpu !== null) req.wattsPerGpu = spec.wattsPerGpu
  if (spec.energyKwh !== null) req.energyKwh = spec.energyKwh
  if (spec.workEstimate !== undefined) req.perPool = workPerPool(spec.workEstimate, pools, spec.wattsPerGpu === null && spec.energyKwh === null)
  return req
}

/**
 * A job that gave its work runs at each pool's own estimated speed and, unless it stated its own
 * power, draws each pool's estimated energy (its `mid`, which may rest on measured runs), given as
 * IT energy: the estimate's facility energy divided by the pool's PUE.
 */
function workPerPool (estimate: JobWorkEstimate, pools: readonly Pool[], withEnergy: boolean): NonNullable<PlanRequest['perPool']> {
  const minutes = poolMinutes(estimate)
  return Object.fromEntries(estimate.pools.map(e => {
    const pue = pools.find(p => p.name === e.pool)?.pue
    const energy = withEnergy && pue !== undefined && pue > 0 ? { energyKwh: e.energyKwh.mid / pue } : {}
    return [e.pool, { durationMs: minutes[e.pool]! * MINUTE_MS, ...energy }]
  }))
}

function baselineOf (spec: Pick<Job, 'gpus' | 'preferredPool'>, pools: Pool[], choice: BaselineChoice): { pool: Pool | undefined, rule: BaselineRule } {
  const holds = (name: string | null | undefined) => pools.find(p => p.name === name && p.gpuCount >= spec.gpus)
  const pinned = holds(choice.pinned)
  if (pinned !== undefined) return { pool: pinned, rule: pinned.name === spec.preferredPool ? 'preferred' : pinned.name === choice.home ? 'home' : 'config-order' }
  const preferred = holds(spec.preferredPool)
  if (preferred !== undefined) return { pool: preferred, rule: 'preferred' }
  const home = holds(choice.home)
  if (home !== undefined) return { pool: home, rule: 'home' }
  return { pool: pools.find(p => p.gpuCount >= spec.gpus), rule: 'config-order' }
}

/**
 * The enabled pools a job may use, baseline first, leaving out those whose executor refused it and,
 * for a job without a command, those that would run one; empty when none is left.
 */
export function allowedPools (job: Pick<Job, 'pools' | 'zones' | 'preferredPool' | 'refusedPools' | 'command'>, all: Pool[]): Pool[] {
  // A job without a command is planned only where nothing needs one (see `requireCommand`), also
  // onto pools added or changed since it was accepted.
  const runnable = (p: Pool) => job.command !== null || !runsCommand(p)
  let pools = all.filter(p => p.enabled && !job.refusedPools.includes(p.name) && runnable(p))
  if (job.pools.length > 0) pools = job.pools.flatMap(n => pools.filter(p => p.name === n))
  else if (job.zones.length > 0) pools = pools.filter(p => job.zones.includes(p.zone))
  const preferred = pools.find(p => p.name === job.preferredPool)
  return preferred === undefined ? pools : [preferred, ...pools.filter(p => p !== preferred)]
}

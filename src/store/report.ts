import { sql } from 'kysely'
import { upgrade } from '../core/ledger-upgrade.js'
import type { ReportJob } from '../core/report.js'
import type { Allocation } from '../core/report-idle.js'
import type { Instant } from '../core/types.js'
import { toDate, toInstant } from './convert.js'
import type { Db } from './schema.js'

/** Whose jobs a report covers, over [from, to). */
export interface ReportScope {
  /** Only this tenant's jobs; null for every tenant (the operator grouping by tenant). */
  tenantId: string | null
  from: Instant
  to: Instant
}

const ledgerInstant = (field: 'start' | 'end') => sql<number>`(j.ledger->'actual'->>${sql.lit(field)})::double precision`

/**
 * Jobs with a ledger whose attempts may overlap [from, to): the ledger's first start is before
 * `to` and its last end at or after `from` (the report pro-rates each attempt exactly). Ledgers
 * stored by earlier releases come completed into the current shape (`upgrade`).
 */
export async function reportJobs (db: Db, q: ReportScope): Promise<ReportJob[]> {
  const rows = await db.selectFrom('jobs as j')
    .innerJoin('tenants as t', 't.id', 'j.tenant_id')
    .select(['j.id', 't.name as tenant', 'j.labels', 'j.ledger'])
    .where('j.ledger', 'is not', null)
    .where(ledgerInstant('start'), '<', q.to)
    .where(ledgerInstant('end'), '>=', q.from)
    .$if(q.tenantId !== null, qb => qb.where('j.tenant_id', '=', q.tenantId as string))
    .orderBy('j.id')
    .execute()
  return rows.flatMap(r => r.ledger === null ? [] : [{ id: r.id, tenant: r.tenant, labels: r.labels, ledger: upgrade(r.ledger) }])
}

/**
 * How many jobs have a run that started and overlaps [from, to) (or is still running) but no
 * ledger yet: what a report cannot count, stated so a reader knows it is missing.
 */
export async function countJobsWithoutLedger (db: Db, q: ReportScope): Promise<number> {
  const row = await db.selectFrom('jobs as j')
    .innerJoin('job_runs as r', 'r.job_id', 'j.id')
    .select(sql<number>`count(distinct j.id)::int`.as('jobs'))
    .where('j.ledger', 'is', null)
    .where('r.started_at', 'is not', null)
    .where('r.started_at', '<', toDate(q.to))
    .where(eb => eb.or([eb('r.finished_at', 'is', null), eb('r.finished_at', '>', toDate(q.from))]))
    .$if(q.tenantId !== null, qb => qb.where('j.tenant_id', '=', q.tenantId as string))
    .executeTakeFirst()
  return row?.jobs ?? 0
}

/**
 * The GPUs every tenant's attempts held over [from, to): each run that started, from its start to
 * its finish (or `now` while it runs). What the idle rows subtract from a pool's GPU-hours.
 */
export async function allocations (db: Db, from: Instant, to: Instant, now: Instant): Promise<Allocation[]> {
  const rows = await db.selectFrom('job_runs as r')
    .innerJoin('jobs as j', 'j.id', 'r.job_id')
    .select(['r.pool', 'j.gpus', 'r.started_at', 'r.finished_at'])
    .where('r.started_at', 'is not', null)
    .where('r.started_at', '<', toDate(to))
    .where(eb => eb.or([eb('r.finished_at', 'is', null), eb('r.finished_at', '>', toDate(from))]))
    .execute()
  return rows.flatMap(r => r.started_at === null
    ? []
    : [{ pool: r.pool, gpus: r.gpus, start: toInstant(r.started_at), end: r.finished_at === null ? Math.max(now, toInstant(r.started_at)) : toInstant(r.finished_at) }])
}

import type { Migration, MigrationProvider } from 'kysely'
import * as m0001 from './0001-init.js'
import * as m0002 from './0002-dispatch.js'
import * as m0003 from './0003-executor-specs.js'
import * as m0004 from './0004-run-safety.js'
import * as m0005 from './0005-roles-and-claims.js'
import * as m0006 from './0006-run-reports.js'
import * as m0007 from './0007-tenant-queue-index.js'
import * as m0008 from './0008-intake-versions.js'
import * as m0009 from './0009-zone-versions.js'
import * as m0010 from './0010-pool-accounting.js'
import * as m0011 from './0011-labels-and-home-pool.js'
import * as m0012 from './0012-run-accounting.js'
import * as m0013 from './0013-work-and-energy-history.js'
import * as m0014 from './0014-job-risk.js'
import * as m0015 from './0015-history-run-ids.js'

/**
 * Every migration, in order. Append-only: never rename, reorder or edit an entry once released;
 * Kysely runs them in name order and records each name in `kysely_migration`.
 */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-init': m0001,
  '0002-dispatch': m0002,
  '0003-executor-specs': m0003,
  '0004-run-safety': m0004,
  '0005-roles-and-claims': m0005,
  '0006-run-reports': m0006,
  '0007-tenant-queue-index': m0007,
  '0008-intake-versions': m0008,
  '0009-zone-versions': m0009,
  '0010-pool-accounting': m0010,
  '0011-labels-and-home-pool': m0011,
  '0012-run-accounting': m0012,
  '0013-work-and-energy-history': m0013,
  '0014-job-risk': m0014,
  '0015-history-run-ids': m0015
})

/** The explicit list as a Kysely `MigrationProvider` (no file-system scanning). */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations })
}

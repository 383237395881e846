import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import type { TestProject } from 'vitest/node'
import { createRunDatabase } from './run-database.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of a tarball of a PGlite data directory just after initdb (see `pgliteFromTemplate`). */
    pgliteTemplate: string
    /** With DATABASE_URL: the URL of this run's own database on that server (see `createRunDatabase`); else ''. */
    runDatabaseUrl: string
  }
}

/**
 * Runs PGlite's initdb once per `vitest run` and leaves the cluster as a tarball for the test files.
 * initdb is most of a PGlite boot: 1.6–2.7 s in memory and 3.5–11 s into a data directory on these
 * machines, idle to loaded, where loading the 40 MB tarball takes 0.4–0.6 s (1.3–1.8 s to disk).
 * Uncompressed, since gzip halves the load speed to save disk space nobody needs.
 */
async function makePgliteTemplate (dir: string): Promise<string> {
  const pglite = await PGlite.create()
  try {
    const tarball = await pglite.dumpDataDir('none')
    const file = join(dir, 'initdb.tar')
    await writeFile(file, Buffer.from(await tarball.arrayBuffer()))
    return file
  } finally {
    await pglite.close()
  }
}

/** The PGlite template, and with DATABASE_URL a database for this run; both removed at the end. */
export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'greenshift-pglite-template-'))
  project.provide('pgliteTemplate', await makePgliteTemplate(dir))
  const url = process.env.DATABASE_URL
  const database = url === undefined || url === '' ? undefined : await createRunDatabase(url)
  project.provide('runDatabaseUrl', database?.url ?? '')
  return async () => {
    await database?.drop()
    await rm(dir, { recursive: true, force: true })
  }
}

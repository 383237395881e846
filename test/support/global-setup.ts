import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of a tarball of a PGlite data directory just after initdb (see `pgliteFromTemplate`). */
    pgliteTemplate: string
  }
}

/**
 * Runs PGlite's initdb once per `vitest run` and leaves the cluster as a tarball for the test files.
 * initdb is most of a PGlite boot: 1.6–2.7 s in memory and 3.5–11 s into a data directory on these
 * machines, idle to loaded, where loading the 40 MB tarball takes 0.4–0.6 s (1.3–1.8 s to disk).
 * Uncompressed, since gzip halves the load speed to save disk space nobody needs.
 */
export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'greenshift-pglite-template-'))
  const pglite = await PGlite.create()
  try {
    const tarball = await pglite.dumpDataDir('none')
    const file = join(dir, 'initdb.tar')
    await writeFile(file, Buffer.from(await tarball.arrayBuffer()))
    project.provide('pgliteTemplate', file)
  } finally {
    await pglite.close()
  }
  return async () => { await rm(dir, { recursive: true, force: true }) }
}

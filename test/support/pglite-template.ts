import { mkdir, readFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { inject } from 'vitest'
import { pgliteStore, type Store } from '../../src/store/db.js'

let template: Promise<Blob> | undefined

/** The cluster global-setup.ts made with initdb, read once per test file. */
async function initdbTarball (): Promise<Blob> {
  template ??= readFile(inject('pgliteTemplate')).then(bytes => new Blob([bytes]))
  return await template
}

/**
 * An empty in-memory PGlite store, as `openStore({ dataDir: 'memory://' })` opens, but booted from
 * the initdb template: 0.4–0.6 s instead of 1.6–2.7 s (more under load) per test file.
 */
export async function pgliteFromTemplate (): Promise<Store> {
  return pgliteStore(await PGlite.create({ loadDataDir: await initdbTarball() }))
}

/**
 * Leaves in `dataDir` the empty cluster that PGlite's first open of a new directory makes (that
 * first open is tested in store/pglite.test.ts), so code under test opens the directory without
 * running initdb on disk: 1.3–1.8 s instead of 3.5–11 s on these machines.
 */
export async function initdbFromTemplate (dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true })
  const pglite = await PGlite.create({ dataDir, loadDataDir: await initdbTarball() })
  await pglite.close()
}

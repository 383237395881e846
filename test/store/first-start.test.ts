import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ensureAdminKey } from '../../src/main.js'
import { findApiKey } from '../../src/store/api-keys.js'
import { migrateToLatest, type Store } from '../../src/store/db.js'
import { migrations } from '../../migrations/index.js'
import { backendName, closeEmptyStore, openEmptyStore, openSibling } from '../support/db.js'

const KEY = 'gs_first_start_race_key_00000000'

/**
 * Two instances starting together on one empty database: on PostgreSQL two connection pools, on
 * PGlite two starts interleaving on the one connection. Both must come up, with one admin key.
 */
describe(`first start of two instances at once (${backendName()})`, () => {
  let first: Store | undefined
  let second: Store | undefined
  beforeEach(async () => {
    first = await openEmptyStore()
    second = backendName() === 'postgres' ? await openSibling(first) : first
  })
  afterEach(async () => {
    if (second !== first) await second?.close()
    await closeEmptyStore(first)
    first = second = undefined
  })
  const stores = (): [Store, Store] => {
    if (first === undefined || second === undefined) throw new Error('no stores')
    return [first, second]
  }

  test('both migrate; the migrations run once', async () => {
    const [a, b] = stores()
    const applied = await Promise.all([migrateToLatest(a.db), migrateToLatest(b.db)])
    expect(applied.flat().sort()).toEqual(Object.keys(migrations))
  })

  test('with GREENSHIFT_ADMIN_KEY both start, and the key works', async () => {
    const [a, b] = stores()
    await migrateToLatest(a.db)
    const printed: string[] = []
    await Promise.all([ensureAdminKey(a, KEY, line => printed.push(line)), ensureAdminKey(b, KEY, line => printed.push(line))])
    expect(printed).toEqual([])
    expect(await findApiKey(a.db, KEY)).toMatchObject({ scopes: ['submit', 'read', 'admin', 'operator'] })
    expect(await a.db.selectFrom('api_keys').select('id').execute()).toHaveLength(1)
    expect(await a.db.selectFrom('tenants').select('name').execute()).toEqual([{ name: 'default' }])
  })

  test('without one, exactly one admin key is created and printed', async () => {
    const [a, b] = stores()
    await migrateToLatest(a.db)
    const printed: string[] = []
    await Promise.all([ensureAdminKey(a, undefined, line => printed.push(line)), ensureAdminKey(b, undefined, line => printed.push(line))])
    expect(printed).toHaveLength(1)
    const key = /shown once\): (gs_\S+)/.exec(printed[0] ?? '')?.[1] ?? ''
    expect(await findApiKey(b.db, key)).toMatchObject({ scopes: ['submit', 'read', 'admin', 'operator'] })
    expect(await a.db.selectFrom('api_keys').select('id').execute()).toHaveLength(1)
  })
})

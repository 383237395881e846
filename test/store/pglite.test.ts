import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { migrateToLatest, openStore } from '../../src/store/db.js'
import { migrations } from '../../migrations/index.js'
import { createTenant, findTenantByName } from '../../src/store/tenants.js'
import { useTestStore } from '../support/db.js'

// The PGlite dialect's own guarantees; PostgreSQL gets them from the server.
describe.runIf(process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '')('PGlite dialect', () => {
  const store = useTestStore()

  it('serialises other queries behind an open transaction', async () => {
    const db = store().db
    let release!: () => void
    let inserted!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const insertedRow = new Promise<void>((resolve) => { inserted = resolve })
    const trx = db.transaction().execute(async (t) => {
      await createTenant(t, 'uncommitted')
      inserted()
      await gate
      throw new Error('roll back')
    })
    await insertedRow
    // On the one PGlite connection this would see the uncommitted row if it ran inside the
    // transaction; queued behind it, it runs after the rollback. One turn of the event loop runs
    // every promise step the query takes to reach PGlite (no I/O on the way), so a dialect without
    // the queue has sent it by then.
    const outside = findTenantByName(db, 'uncommitted')
    await new Promise((resolve) => setImmediate(resolve))
    release()
    await expect(trx).rejects.toThrow('roll back')
    expect(await outside).toBeUndefined()
  })

  it('rolls back failed transactions and savepoints and keeps working', async () => {
    const db = store().db
    await expect(db.transaction().execute(async (t) => {
      await createTenant(t, 'doomed')
      await createTenant(t, 'doomed')
    })).rejects.toMatchObject({ code: '23505' })
    expect(await findTenantByName(db, 'doomed')).toBeUndefined()
    const trx = await db.startTransaction().execute()
    const sp = await trx.savepoint('before_dup').execute()
    await createTenant(sp, 'kept')
    await expect(createTenant(sp, 'kept')).rejects.toMatchObject({ code: '23505' })
    await sp.rollbackToSavepoint('before_dup').execute()
    await createTenant(trx, 'after')
    await trx.commit().execute()
    expect(await findTenantByName(db, 'kept')).toBeUndefined()
    expect(await findTenantByName(db, 'after')).toMatchObject({ name: 'after' })
  })

  it('creates its data directory and keeps data across reopen', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'greenshift-store-'))
    const dataDir = join(parent, 'nested', 'pgdata')
    try {
      const first = await openStore({ dataDir })
      expect(await migrateToLatest(first.db)).toEqual(Object.keys(migrations))
      await createTenant(first.db, 'durable')
      await first.close()
      const second = await openStore({ dataDir })
      try {
        expect(await migrateToLatest(second.db)).toEqual([])
        expect(await findTenantByName(second.db, 'durable')).toMatchObject({ name: 'durable' })
      } finally {
        await second.close()
      }
    } finally {
      await rm(parent, { recursive: true, force: true })
    }
  })
})

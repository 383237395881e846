import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { countApiKeys, createApiKey, findApiKey, revokeApiKey } from '../../src/store/api-keys.js'
import { migrateToLatest } from '../../src/store/db.js'
import { migrations } from '../../migrations/index.js'
import { getJob, insertJob } from '../../src/store/jobs.js'
import { createTenant, findTenantByName } from '../../src/store/tenants.js'
import { backendName, useTestStore } from '../support/db.js'
import { HOUR, newJob, planOn, T0 } from './fixtures.js'

describe(`store basics (${backendName()})`, () => {
  const store = useTestStore()

  it('reports its backend', () => {
    expect(store().kind).toBe(backendName())
  })

  it('migrations are idempotent: a second run applies nothing', async () => {
    expect(await migrateToLatest(store().db)).toEqual([])
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store().db)
    expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations))
  })

  it('creates and finds tenants; names are unique', async () => {
    const a = await createTenant(store().db, 'acme')
    expect(await findTenantByName(store().db, 'acme')).toEqual(a)
    expect(await findTenantByName(store().db, 'nobody')).toBeUndefined()
    await expect(createTenant(store().db, 'acme')).rejects.toMatchObject({ code: '23505' })
  })

  it('stores API keys hashed and rejects revoked ones', async () => {
    const t = await createTenant(store().db, 'acme')
    const created = await createApiKey(store().db, { tenantId: t.id, name: 'ci', scopes: ['submit', 'read'] })
    expect(created.key).toMatch(/^gs_[A-Za-z0-9_-]{32}$/)
    expect(created.prefix).toBe(created.key.slice(0, 8))
    const { rows } = await sql<Record<string, unknown>>`select * from api_keys`.execute(store().db)
    expect(JSON.stringify(rows)).not.toContain(created.key)
    expect(rows[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/)

    expect(await findApiKey(store().db, created.key)).toEqual({ id: created.id, tenantId: t.id, scopes: ['submit', 'read'], homePool: null })
    expect(await findApiKey(store().db, created.key + 'x')).toBeUndefined()
    expect(await revokeApiKey(store().db, created.id, new Date(T0))).toBe('revoked')
    expect(await revokeApiKey(store().db, created.id, new Date(T0))).toBe('not-found')
    expect(await findApiKey(store().db, created.key)).toBeUndefined()
    expect(await countApiKeys(store().db)).toBe(1)
  })

  it('keeps the last live operator key, even when the last two are revoked at once', async () => {
    const t = await createTenant(store().db, 'ops')
    const one = await createApiKey(store().db, { tenantId: t.id, name: 'one', scopes: ['operator'] })
    const two = await createApiKey(store().db, { tenantId: t.id, name: 'two', scopes: ['operator', 'admin'] })
    const outcomes = await Promise.all([revokeApiKey(store().db, one.id, new Date(T0)), revokeApiKey(store().db, two.id, new Date(T0))])
    expect(outcomes.sort()).toEqual(['last-operator', 'revoked'])
    const live = [await findApiKey(store().db, one.key), await findApiKey(store().db, two.key)].filter(k => k !== undefined)
    expect(live).toHaveLength(1)
  })

  it('round-trips jsonb arrays, objects, strings and null', async () => {
    const t = await createTenant(store().db, 'acme')
    const full = newJob(t.id, {
      pools: ['gpu-a', 'gpu-b'],
      zones: [],
      command: ['python', 'train.py', '--lr', '3e-4'],
      payload: { nested: { list: [1, 'two', null, true] }, n: 1.5 },
      labels: { team: 'nlp', 'cost-centre': '42' },
      plan: planOn('gpu-a', T0 + HOUR)
    })
    const empty = newJob(t.id, { payload: null, command: null, plan: null })
    const text = newJob(t.id, { payload: 'just a string', command: [] })
    for (const job of [full, empty, text]) await insertJob(store().db, job)
    const strip = ({ idempotencyKey: _k, requestHash: _h, ...job }: typeof full) => job
    expect(await getJob(store().db, t.id, full.id)).toEqual(strip(full))
    expect(await getJob(store().db, t.id, empty.id)).toEqual(strip(empty))
    expect(await getJob(store().db, t.id, text.id)).toEqual(strip(text))
    const { rows } = await sql<{ t: string }>`select jsonb_typeof(command) as t from jobs where id = ${full.id}`.execute(store().db)
    expect(rows[0]?.t).toBe('array')
  })

  it('round-trips timestamptz as Date and epoch ms, to the millisecond', async () => {
    const t = await createTenant(store().db, 'acme')
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678)
    const job = newJob(t.id, { submittedAt: at, updatedAt: at + 1, deadline: at + HOUR, notBefore: at - 999 })
    await insertJob(store().db, job)
    const got = await getJob(store().db, t.id, job.id)
    expect(got).toMatchObject({ submittedAt: at, updatedAt: at + 1, deadline: at + HOUR, notBefore: at - 999 })
    const row = await store().db.selectFrom('jobs').select(['submitted_at', 'not_before']).executeTakeFirstOrThrow()
    expect(row.submitted_at).toBeInstanceOf(Date)
    expect(row.not_before?.toISOString()).toBe('2026-01-02T03:04:04.679Z')
  })

  it('returns integers, doubles and counts as numbers on both drivers', async () => {
    const { rows } = await sql<{ i: unknown, d: unknown, c: unknown, b: unknown }>`
      select 7::integer as i, 0.1::double precision as d, count(*) as c, true as b from tenants`.execute(store().db)
    expect(rows[0]).toEqual({ i: 7, d: 0.1, c: 0, b: true })
  })
})

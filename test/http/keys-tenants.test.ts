import { describe, expect, test } from 'vitest'
import { findApiKey } from '../../src/store/api-keys.js'
import { NOW, useTestApp } from '../support/app.js'

const t = useTestApp()

async function call (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, key: string, payload?: object) {
  return await t().app.inject({ method, url, headers: t().auth(key), ...(payload === undefined ? {} : { payload }) })
}

const problem = (res: { statusCode: number, headers: Record<string, unknown>, json: () => { errors?: Array<{ field: string }> } }, status: number, field?: string) => {
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toContain('application/problem+json')
  if (field !== undefined) expect(res.json().errors?.[0]?.field).toBe(field)
}

const keyCount = async () => (await t().deps.store.db.selectFrom('api_keys').select('id').execute()).length

describe('API keys', () => {
  test('a tenant admin creates a key for its own tenant, shown once; it works and lists without hash or plaintext', async () => {
    t().clock.now = NOW + 60_000
    const res = await call('POST', '/v1/keys', t().keys.admin, { name: 'ci', scopes: ['submit', 'read'] })
    expect(res.statusCode).toBe(201)
    const created = res.json()
    expect(created).toMatchObject({ name: 'ci', tenant: 'a', scopes: ['submit', 'read'], createdAt: new Date(NOW + 60_000).toISOString(), revokedAt: null })
    expect(created.key).toMatch(/^gs_/)
    expect(created.prefix).toBe(created.key.slice(0, 8))
    expect((await call('GET', '/v1/jobs', created.key)).statusCode).toBe(200)

    const list = await call('GET', '/v1/keys', t().keys.admin)
    expect(list.statusCode).toBe(200)
    const keys = list.json() as Array<Record<string, unknown>>
    expect(keys.every(k => k.tenant === 'a')).toBe(true)
    expect(keys.find(k => k.id === created.id)).toEqual({ ...created, key: undefined })
    expect(list.body).not.toContain(created.key)
    for (const k of keys) expect(Object.keys(k).sort()).toEqual(['createdAt', 'id', 'name', 'prefix', 'revokedAt', 'scopes', 'tenant'])
  })

  test('a tenant admin cannot mint an operator key, nor a key of another tenant: 403 naming the field, nothing stored', async () => {
    const before = await keyCount()
    problem(await call('POST', '/v1/keys', t().keys.admin, { name: 'up', scopes: ['operator'] }), 403, 'scopes')
    problem(await call('POST', '/v1/keys', t().keys.admin, { name: 'x', scopes: ['read'], tenant: 'b' }), 403, 'tenant')
    // An unknown tenant looks the same to a tenant admin: names cannot be probed.
    problem(await call('POST', '/v1/keys', t().keys.admin, { name: 'x', scopes: ['read'], tenant: 'nope' }), 403, 'tenant')
    problem(await call('POST', '/v1/keys', t().keys.admin, { name: 'x', scopes: ['root'] }), 400, 'scopes[0]')
    problem(await call('POST', '/v1/keys', t().keys.a, { name: 'x', scopes: ['read'] }), 403)
    expect(await keyCount()).toBe(before)
  })

  test('a tenant admin neither sees nor revokes another tenant\'s keys; revokes its own', async () => {
    const bKey = (await call('POST', '/v1/keys', t().keys.operator, { name: 'b-ci', scopes: ['read'], tenant: 'b' })).json()
    expect(bKey.tenant).toBe('b')
    problem(await call('GET', '/v1/keys?tenant=b', t().keys.admin), 403, 'tenant')
    expect((await call('GET', '/v1/keys', t().keys.admin)).json().map((k: { id: string }) => k.id)).not.toContain(bKey.id)
    problem(await call('DELETE', `/v1/keys/${bKey.id}`, t().keys.admin), 404)
    expect(await findApiKey(t().deps.store.db, bKey.key)).toBeDefined()

    const own = (await call('POST', '/v1/keys', t().keys.admin, { name: 'tmp', scopes: ['read'] })).json()
    t().clock.now = NOW + 120_000
    const revoked = await call('DELETE', `/v1/keys/${own.id}`, t().keys.admin)
    expect(revoked.statusCode).toBe(204)
    expect((await call('GET', '/v1/jobs', own.key)).statusCode).toBe(401)
    const listed = (await call('GET', '/v1/keys', t().keys.admin)).json().find((k: { id: string }) => k.id === own.id)
    expect(listed.revokedAt).toBe(new Date(NOW + 120_000).toISOString())
    problem(await call('DELETE', `/v1/keys/${own.id}`, t().keys.admin), 404)
  })

  test('a tenant admin may not revoke an operator key, even in its own tenant', async () => {
    const ids = (await call('GET', '/v1/keys', t().keys.admin)).json() as Array<{ id: string, scopes: string[] }>
    const operator = ids.find(k => k.scopes.includes('operator'))
    expect(operator).toBeDefined()
    problem(await call('DELETE', `/v1/keys/${operator?.id ?? ''}`, t().keys.admin), 403)
    expect(await findApiKey(t().deps.store.db, t().keys.operator)).toBeDefined()
  })

  test('the operator lists and manages any tenant\'s keys; unknown tenants are named; the last operator key stays', async () => {
    const listB = await call('GET', '/v1/keys?tenant=b', t().keys.operator)
    expect(listB.statusCode).toBe(200)
    expect(listB.json().map((k: { tenant: string }) => k.tenant)).toEqual(['b'])
    problem(await call('GET', '/v1/keys?tenant=nope', t().keys.operator), 404, 'tenant')
    problem(await call('POST', '/v1/keys', t().keys.operator, { name: 'x', scopes: ['read'], tenant: 'nope' }), 422, 'tenant')

    const ownId = (await call('GET', '/v1/keys', t().keys.operator)).json().find((k: { scopes: string[] }) => k.scopes.includes('operator')).id
    problem(await call('DELETE', `/v1/keys/${ownId as string}`, t().keys.operator), 409, 'id')
    const second = (await call('POST', '/v1/keys', t().keys.operator, { name: 'ops-2', scopes: ['operator'], tenant: 'b' })).json()
    expect(second.scopes).toEqual(['operator'])
    expect((await call('DELETE', `/v1/keys/${ownId as string}`, t().keys.operator)).statusCode).toBe(204)
    expect((await call('GET', '/v1/tenants', second.key)).statusCode).toBe(200)
    problem(await call('DELETE', `/v1/keys/${second.id as string}`, second.key), 409)
  })

  test('an operator key without submit or read cannot submit or read a tenant\'s jobs', async () => {
    problem(await call('GET', '/v1/jobs', t().keys.operator), 403)
    problem(await call('POST', '/v1/jobs', t().keys.operator, { name: 'x', gpus: 1, durationMinutes: 60, deadline: new Date(NOW + 86_400_000).toISOString() }), 403)
  })
})

describe('tenants', () => {
  test('only the operator lists, creates and changes tenants', async () => {
    for (const key of [t().keys.admin, t().keys.a]) {
      problem(await call('GET', '/v1/tenants', key), 403)
      problem(await call('POST', '/v1/tenants', key, { name: 'c' }), 403)
      problem(await call('PATCH', '/v1/tenants/a', key, { maxQueuedJobs: 5 }), 403)
    }
    expect((await t().deps.store.db.selectFrom('tenants').select('name').orderBy('name').execute()).map(r => r.name)).toEqual(['a', 'b'])

    const created = await call('POST', '/v1/tenants', t().keys.operator, { name: 'c', maxQueuedJobs: 3 })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toEqual({ name: 'c', maxQueuedJobs: 3, homePool: null, createdAt: expect.any(String) })
    problem(await call('POST', '/v1/tenants', t().keys.operator, { name: 'c' }), 409, 'name')
    problem(await call('POST', '/v1/tenants', t().keys.operator, { name: 'd', maxQueuedJobs: 0 }), 400, 'maxQueuedJobs')
    problem(await call('PATCH', '/v1/tenants/c', t().keys.operator, { maxQueuedJobs: 1.5 }), 400, 'maxQueuedJobs')
    problem(await call('PATCH', '/v1/tenants/zz', t().keys.operator, { maxQueuedJobs: 2 }), 404)

    const patched = await call('PATCH', '/v1/tenants/c', t().keys.operator, { maxQueuedJobs: null })
    expect(patched.json()).toMatchObject({ name: 'c', maxQueuedJobs: null })
    const list = await call('GET', '/v1/tenants', t().keys.operator)
    expect(list.json().map((x: { name: string, maxQueuedJobs: number | null }) => [x.name, x.maxQueuedJobs])).toEqual([['a', null], ['b', null], ['c', null]])

    const key = await call('POST', '/v1/keys', t().keys.operator, { name: 'c-admin', scopes: ['admin'], tenant: 'c' })
    expect(key.json()).toMatchObject({ tenant: 'c', scopes: ['admin'] })
  })

  test('the operator sets a tenant\'s home pool: a pool\'s name or null; an unknown pool is a 422 naming homePool', async () => {
    const op = t().keys.operator
    const created = await call('POST', '/v1/tenants', op, { name: 'c', homePool: 'gpu-south' })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ name: 'c', maxQueuedJobs: null, homePool: 'gpu-south' })
    problem(await call('POST', '/v1/tenants', op, { name: 'd', homePool: 'gpu-nowhere' }), 422, 'homePool')
    expect(await t().deps.store.db.selectFrom('tenants').select('name').where('name', '=', 'd').executeTakeFirst()).toBeUndefined()

    problem(await call('PATCH', '/v1/tenants/c', op, { homePool: 'gpu-nowhere' }), 422, 'homePool')
    problem(await call('PATCH', '/v1/tenants/c', op, {}), 400)
    problem(await call('PATCH', '/v1/tenants/zz', op, { homePool: 'gpu-north' }), 404)
    // Each field changes alone: a home pool leaves the cap as it was, and the other way round.
    await call('PATCH', '/v1/tenants/c', op, { maxQueuedJobs: 7 })
    expect((await call('PATCH', '/v1/tenants/c', op, { homePool: 'gpu-north' })).json()).toMatchObject({ maxQueuedJobs: 7, homePool: 'gpu-north' })
    expect((await call('PATCH', '/v1/tenants/c', op, { maxQueuedJobs: null })).json()).toMatchObject({ maxQueuedJobs: null, homePool: 'gpu-north' })
    const list = await call('GET', '/v1/tenants', op)
    expect(list.json().map((x: { name: string, homePool: string | null }) => [x.name, x.homePool])).toEqual([['a', null], ['b', null], ['c', 'gpu-north']])
    expect((await call('PATCH', '/v1/tenants/c', op, { homePool: null })).json()).toMatchObject({ homePool: null })
  })
})

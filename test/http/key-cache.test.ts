import Fastify from 'fastify'
import { expect, test } from 'vitest'
import { authenticate, homePoolOf } from '../../src/http/auth.js'
import { KEY_CACHE_MS, lookUpKey } from '../../src/http/key-cache.js'
import { createApiKey } from '../../src/store/api-keys.js'
import { createTenant } from '../../src/store/tenants.js'
import { useTestApp } from '../support/app.js'

const t = useTestApp()

test('a key revoked through this process is refused at once', async () => {
  const key = t().keys.a
  const list = async () => (await t().app.inject({ method: 'GET', url: '/v1/jobs', headers: t().auth(key) })).statusCode
  expect(await list()).toBe(200)
  const mine = await t().app.inject({ method: 'GET', url: '/v1/keys', headers: t().auth(t().keys.admin) })
  const id = (mine.json() as Array<{ id: string, prefix: string, scopes: string[] }>).find(k => key.startsWith(k.prefix) && k.scopes.includes('submit'))?.id
  expect(id).toBeDefined()
  expect((await t().app.inject({ method: 'DELETE', url: `/v1/keys/${id!}`, headers: t().auth(t().keys.admin) })).statusCode).toBe(204)
  expect(await list()).toBe(401)
})

test('a key revoked by another replica works here for at most KEY_CACHE_MS, then is refused', async () => {
  const store = t().deps.store
  const tenant = await createTenant(store.db, 'c')
  const { key, id } = await createApiKey(store.db, { tenantId: tenant.id, name: 'k', scopes: ['read'] })
  const clock = { now: 1_000 }
  expect((await lookUpKey(store, key, () => clock.now))?.id).toBe(id)
  await store.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', id).execute()
  clock.now += KEY_CACHE_MS - 1
  expect((await lookUpKey(store, key, () => clock.now))?.id).toBe(id)
  clock.now += 1
  expect(await lookUpKey(store, key, () => clock.now)).toBeUndefined()
  expect(await lookUpKey(store, 'gs_unknown_key_0123456789', () => clock.now)).toBeUndefined()
})

test('authentication knows the tenant\'s home pool without another query; a change through this process is seen at once', async () => {
  const { store } = t().deps
  const key = t().keys.a
  // A route that shows what authentication put on the request, as submit and quote read it.
  const app = Fastify()
  app.addHook('onRequest', authenticate(store))
  app.get('/who', async request => ({ homePool: homePoolOf(request) }))
  const who = async () => (await app.inject({ method: 'GET', url: '/who', headers: t().auth(key) })).json()
  expect(await who()).toEqual({ homePool: null })
  const patch = async (homePool: string | null) =>
    (await t().app.inject({ method: 'PATCH', url: '/v1/tenants/a', headers: t().auth(t().keys.operator), payload: { homePool } })).statusCode
  expect(await patch('gpu-north')).toBe(200)
  // The key was remembered with no home pool a moment ago: the PATCH made this process forget it.
  expect(await who()).toEqual({ homePool: 'gpu-north' })
  expect(await patch(null)).toBe(200)
  expect(await who()).toEqual({ homePool: null })
  await app.close()
})

test('a home pool changed by another replica is seen here within KEY_CACHE_MS', async () => {
  const store = t().deps.store
  const tenant = await createTenant(store.db, 'c')
  const { key } = await createApiKey(store.db, { tenantId: tenant.id, name: 'k', scopes: ['read'] })
  const clock = { now: 1_000 }
  expect((await lookUpKey(store, key, () => clock.now))?.homePool).toBeNull()
  await store.db.updateTable('tenants').set({ home_pool: 'gpu-south' }).where('id', '=', tenant.id).execute()
  clock.now += KEY_CACHE_MS - 1
  expect((await lookUpKey(store, key, () => clock.now))?.homePool).toBeNull()
  clock.now += 1
  expect((await lookUpKey(store, key, () => clock.now))?.homePool).toBe('gpu-south')
})

import { describe, expect, test } from 'vitest'
import { HOUR, iso, NOW, useTestApp } from '../support/app.js'

const t = useTestApp()

async function mint (pool: string, key = t().keys.operator) {
  return await t().app.inject({ method: 'POST', url: `/v1/pools/${pool}/tokens`, headers: t().auth(key), payload: { name: 'rack-1' } })
}

const agent = (token: string) => ({ authorization: `Bearer ${token}` })

async function tokens (pool: string, key = t().keys.operator) {
  return await t().app.inject({ method: 'GET', url: `/v1/pools/${pool}/tokens`, headers: t().auth(key) })
}

async function revoke (pool: string, id: string, key = t().keys.operator) {
  return await t().app.inject({ method: 'DELETE', url: `/v1/pools/${pool}/tokens/${id}`, headers: t().auth(key) })
}

describe('pool tokens', () => {
  test('an operator mints a token once; it is stored hashed and only for agent pools', async () => {
    const res = await mint('gpu-north')
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({ pool: 'gpu-north', name: 'rack-1' })
    expect(body.token).toMatch(/^gsa_[A-Za-z0-9_-]{32}$/)
    expect(body.token.startsWith(body.prefix)).toBe(true)
    const rows = await t().deps.store.db.selectFrom('pool_tokens').selectAll().execute()
    expect(rows).toHaveLength(1)
    expect(JSON.stringify(rows)).not.toContain(body.token)
    expect((await mint('gpu-north', t().keys.a)).statusCode).toBe(403)
    expect((await mint('no-such-pool')).statusCode).toBe(404)
  })

  test('agent calls need a live pool token; an API key is not one', async () => {
    const claim = (headers: Record<string, string>) => t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers, payload: { agent: 'h1' } })
    expect((await claim({})).statusCode).toBe(401)
    expect((await claim(t().auth(t().keys.operator))).statusCode).toBe(401)
    expect((await claim(agent('gsa_forged'))).statusCode).toBe(401)
    const token = (await mint('gpu-north')).json().token
    expect((await claim(agent(token))).statusCode).toBe(204)
  })

  test('an operator lists a pool\'s tokens without the token or its hash', async () => {
    const first = (await mint('gpu-north')).json()
    t().clock.now = NOW + 60_000
    const second = (await t().app.inject({ method: 'POST', url: '/v1/pools/gpu-north/tokens', headers: t().auth(t().keys.operator), payload: {} })).json()
    await mint('gpu-south')
    const list = await tokens('gpu-north')
    expect(list.statusCode).toBe(200)
    expect(list.json()).toEqual([
      { id: first.id, name: 'rack-1', prefix: first.prefix, createdAt: iso(NOW), revokedAt: null },
      { id: second.id, name: 'agent', prefix: second.prefix, createdAt: iso(NOW + 60_000), revokedAt: null }
    ])
    const [row] = await t().deps.store.db.selectFrom('pool_tokens').select('token_hash').where('id', '=', first.id).execute()
    expect(list.body).not.toContain(first.token)
    expect(list.body).not.toContain(row?.token_hash)
    expect((await tokens('gpu-north', t().keys.a)).statusCode).toBe(403)
    expect((await tokens('no-such-pool')).statusCode).toBe(404)
  })

  test('a revoked token gets 401 on claim; other tokens keep working; revoking again, or through another pool, is 404', async () => {
    const revoked = (await mint('gpu-north')).json()
    const kept = (await mint('gpu-north')).json().token
    const claim = (token: string) => t().app.inject({ method: 'POST', url: '/v1/agent/claim', headers: agent(token), payload: { agent: 'h1' } })
    expect((await claim(revoked.token)).statusCode).toBe(204)
    expect((await revoke('gpu-south', revoked.id)).statusCode).toBe(404)
    expect((await revoke('gpu-north', revoked.id, t().keys.a)).statusCode).toBe(403)
    t().clock.now = NOW + HOUR
    const res = await revoke('gpu-north', revoked.id)
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
    const refused = await claim(revoked.token)
    expect(refused.statusCode).toBe(401)
    expect(refused.json().errors).toEqual([{ field: 'Authorization', message: 'unknown or revoked agent token' }])
    expect((await claim(kept)).statusCode).toBe(204)
    const listed = (await tokens('gpu-north')).json() as Array<{ id: string, revokedAt: string | null }>
    expect(Object.fromEntries(listed.map(k => [k.id, k.revokedAt]))).toEqual({ [revoked.id]: iso(NOW + HOUR), [listed.find(k => k.id !== revoked.id)!.id]: null })
    expect((await revoke('gpu-north', revoked.id)).statusCode).toBe(404)
    expect((await revoke('gpu-north', '8a1f3b3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b')).statusCode).toBe(404)
    const malformed = await revoke('gpu-north', 'not-a-uuid')
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().errors[0].field).toBe('id')
  })
})

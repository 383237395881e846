import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { runCli } from '../../src/cli/commands.js'
import { serve } from '../../src/main.js'
import { initdbFromTemplate } from '../support/pglite-template.js'

const dir = mkdtempSync(join(tmpdir(), 'greenshift-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Always the embedded database in a temp dir, whatever DATABASE_URL the test run has. */
const env = { GREENSHIFT_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1' }
// An empty cluster, as PGlite's first open leaves it, without the 3.5–11 s of initdb on disk;
// migrate still applies every migration and creates the first key.
beforeAll(async () => { await initdbFromTemplate(env.GREENSHIFT_DATA_DIR) })

async function run (...argv: string[]): Promise<{ code: number, out: string }> {
  let out = ''
  const code = await runCli(argv, env, s => { out += s })
  return { code, out }
}

describe('greenshift CLI', () => {
  test('migrate creates the admin key once; keys create makes a scoped key; serve answers with both', async () => {
    const first = await run('migrate')
    expect(first.code).toBe(0)
    const admin = /shown once\): (gs_\S+)/.exec(first.out)?.[1]
    expect(admin).toBeDefined()
    expect((await run('migrate')).out).not.toContain('shown once')

    const created = await run('keys', 'create', '--tenant', 'acme', '--scopes', 'read')
    expect(created.code).toBe(0)
    const reader = created.out.trim()
    expect(reader).toMatch(/^gs_[A-Za-z0-9_-]{32}$/)
    const ops = (await run('keys', 'create', '--tenant', 'ops', '--scopes', 'operator')).out.trim()
    expect((await run('keys', 'create', '--tenant', 'acme', '--name', 'home', '--home-pool', 'h100-de')).code).toBe(0)

    const service = await serve(env)
    try {
      const health = await fetch(`${service.url}/healthz`)
      expect(await health.json()).toEqual({ status: 'ok' })
      const job = { name: 'cli', command: ['train'], gpus: 4, durationMinutes: 360, deadline: new Date(Date.now() + 30 * 3_600_000).toISOString(), preferredPool: 'h100-de' }
      const post = (key: string) => fetch(`${service.url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(job) })
      expect((await post(reader)).status).toBe(403)
      const accepted = await post(admin!)
      expect(accepted.status).toBe(201)
      const { plan } = await accepted.json() as { plan: { expected: { grams: number }, baseline: { grams: number, pool: string } } }
      // The replayed grids differ several-fold, so the plan beats "now in DE" by a wide margin.
      expect(plan.expected.grams).toBeLessThan(plan.baseline.grams)
      expect(plan.baseline).toMatchObject({ pool: 'h100-de', source: expect.stringMatching(/^replay:zones-2022@sha256:[0-9a-f]{16}$/), signal: 'average', gas: 'co2e', factorType: 'lifecycle' })
      const list = await fetch(`${service.url}/v1/jobs`, { headers: { authorization: `Bearer ${reader}` } })
      expect((await list.json() as { jobs: unknown[] }).jobs).toEqual([]) // acme sees none of default's jobs
      // The first key runs the deployment; a CLI-made operator key too, without a tenant's submit or read.
      const tenants = async (key: string) => await fetch(`${service.url}/v1/tenants`, { headers: { authorization: `Bearer ${key}` } })
      expect((await tenants(admin!)).status).toBe(200)
      expect(((await (await tenants(ops)).json()) as Array<{ name: string, homePool: string | null }>).map(x => [x.name, x.homePool]))
        .toEqual([['acme', 'h100-de'], ['default', null], ['ops', null]])
      expect((await post(ops)).status).toBe(403)
    } finally {
      await service.close()
    }
  })

  test('openapi --check fails on a stale document; bad commands and flags are refused', async () => {
    const stale = join(dir, 'stale.json')
    writeFileSync(stale, '{}\n')
    expect((await run('openapi', '--check', stale)).code).toBe(1)
    const doc = await run('openapi')
    expect(JSON.parse(doc.out).paths['/v1/jobs']).toBeDefined()
    expect((await run('nonsense')).code).toBe(2)
    const stderr: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(chunk => { stderr.push(String(chunk)); return true })
    try {
      expect((await run('keys', 'list')).code).toBe(2)
    } finally {
      spy.mockRestore()
    }
    // One line naming what was not understood, not the whole usage.
    expect(stderr).toEqual(['greenshift: unknown command "keys list" (greenshift help lists the commands)\n'])
    await expect(run('keys', 'create')).rejects.toThrow('--tenant NAME is required')
    await expect(run('keys', 'create', '--tenant', 'x', '--scopes', 'root')).rejects.toThrow('--scopes must be')
    await expect(run('keys', 'create', '--tenant', 'x', '--home-pool', 'nowhere')).rejects.toThrow('--home-pool "nowhere" is not a pool (pools: ')
    expect((await run('help')).out).toContain('--home-pool POOL')
  })
})

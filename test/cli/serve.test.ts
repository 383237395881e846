import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test, vi } from 'vitest'
import { runCli } from '../../src/cli/commands.js'
import { serve } from '../../src/main.js'
import { initdbFromTemplate } from '../support/pglite-template.js'

const root = mkdtempSync(join(tmpdir(), 'greenshift-serve-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0

/**
 * The embedded database in a fresh directory (holding the initdb template's empty cluster, so no
 * initdb runs on disk), whatever DATABASE_URL the test run has.
 */
async function envFor (over: Record<string, string> = {}): Promise<Record<string, string>> {
  const dir = join(root, `data${++n}`)
  await initdbFromTemplate(dir)
  return { GREENSHIFT_DATA_DIR: dir, LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', GREENSHIFT_SCHEDULER: 'off', ...over }
}

async function run (env: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(chunk => { err += String(chunk); return true })
  try {
    const code = await runCli(argv, env, s => { out += s })
    return { code, out, err }
  } finally {
    write.mockRestore()
  }
}

describe('greenshift serve on the embedded database', () => {
  test('--help prints the usage without starting; an unknown flag is refused by name', async () => {
    const env = await envFor()
    const help = await run(env, 'serve', '--help')
    expect(help).toMatchObject({ code: 0 })
    expect(help.out).toContain('usage: greenshift serve')
    const bad = await run(env, 'serve', '--port', '9000')
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('serve: unknown argument "--port", "9000"')
    expect((await run(env, 'migrate', '--dry-run')).code).toBe(2)
  })

  test('a second server on the same data directory is refused, naming the directory and the process', async () => {
    const env = await envFor({ GREENSHIFT_ADMIN_KEY: 'gs_serve_test_admin_key_0000000000' })
    const first = await serve(env)
    try {
      const second = await serve(env).then(s => s, (e: unknown) => e)
      if (!(second instanceof Error)) {
        await (second as Awaited<ReturnType<typeof serve>>).close()
        throw new Error('the second server started')
      }
      expect(second.message).toContain(env.GREENSHIFT_DATA_DIR)
      expect(second.message).toContain(`pid ${process.pid}`)
      expect(second.message).toContain('"greenshift serve"')
      // A key made beside the running server would land in a copy the server never reads.
      await expect(run(env, 'keys', 'create', '--tenant', 'acme')).rejects.toThrow(/keys create: .* is in use .*stop the server/)
    } finally {
      await first.close()
    }
    expect((await run(env, 'keys', 'create', '--tenant', 'acme')).code).toBe(0)
  })

  test('with the port taken, start fails naming the port before any admin key is made', async () => {
    const blocker: Server = createServer()
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
    const port = String((blocker.address() as { port: number }).port)
    const env = await envFor({ PORT: port })
    const printed = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    try {
      await expect(serve(env)).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: the port is in use`)
      expect(printed.mock.calls.map(c => String(c[0])).join('')).not.toContain('admin API key')
    } finally {
      printed.mockRestore()
      blocker.close()
    }
    // No key was made: the first start that can listen (here: migrate) creates and prints it.
    expect((await run(env, 'migrate')).out).toContain('created admin API key')
  })
})

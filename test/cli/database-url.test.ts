import { createServer } from 'node:net'
import { expect, test } from 'vitest'
import { runCli } from '../../src/cli/commands.js'
import { redactedUrl } from '../../src/store/unavailable.js'

/** A loopback port nothing listens on: bound, then released. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

test('an unreachable DATABASE_URL is named, with its server and without its password', async () => {
  const url = `postgres://greenshift:s3cret@127.0.0.1:${await closedPort()}/greenshift`
  const failure = await runCli(['migrate'], { DATABASE_URL: url, LOG_LEVEL: 'silent' }, () => {}).then(() => undefined, (err: unknown) => err as Error)
  expect(failure?.message).toMatch(/^DATABASE_URL postgres:\/\/greenshift:\*\*\*@127\.0\.0\.1:\d+\/greenshift: cannot connect \(connect ECONNREFUSED .*\); is PostgreSQL running there/)
  expect(failure?.message).not.toContain('s3cret')
})

test('a URL\'s password is never shown; one without a password is shown as it is', () => {
  expect(redactedUrl('postgres://u:p%40ss@db:5432/x')).toBe('postgres://u:***@db:5432/x')
  expect(redactedUrl('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test')
})

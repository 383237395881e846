import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { environBounds, valueRanges } from '../../src/agent/scrub.js'

const SCRUB = resolve(fileURLToPath(new URL('../../src/agent/scrub.ts', import.meta.url)))

describe('scrubInitialEnvironment', () => {
  test('finds the values of the named variables only', () => {
    const block = Buffer.from('A=1\0TOKEN=gsa_secret\0TOKENX=keep\0B=\0TOKEN=again\0', 'utf8')
    expect(valueRanges(block, ['TOKEN', 'B']).map(([at, n]) => block.toString('utf8', at, at + n))).toEqual(['gsa_secret', 'again'])
  })

  test('reads the bounds after a command name holding spaces and parentheses', () => {
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 3))
    expect(environBounds(`42 (a) b) ${rest.join(' ')}`)).toEqual([50, 51])
    expect(() => environBounds('42 (x) S 1 2')).toThrow(/no environment bounds/)
  })

  test.runIf(process.platform === 'linux')('another process of the same user no longer reads the value in /proc/<pid>/environ', async () => {
    const code = `import { scrubInitialEnvironment } from ${JSON.stringify(SCRUB)}
const done = scrubInitialEnvironment(['GREENSHIFT_AGENT_TOKEN'])
process.stdout.write(done ? 'scrubbed\\n' : 'unchanged\\n')
process.stdin.resume()`
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      env: { ...process.env, GREENSHIFT_AGENT_TOKEN: 'gsa_scrub_me_0123456789', OTHER: 'stays' }, stdio: ['pipe', 'pipe', 'inherit']
    })
    try {
      const said = await new Promise<string>(done => { child.stdout.once('data', (chunk: Buffer) => { done(chunk.toString()) }) })
      expect(said).toBe('scrubbed\n')
      const seen = readFileSync(`/proc/${child.pid}/environ`, 'utf8')
      expect(seen).not.toContain('gsa_scrub_me_0123456789')
      expect(seen).toContain('GREENSHIFT_AGENT_TOKEN=')
      expect(seen).toContain('OTHER=stays')
    } finally {
      child.kill('SIGKILL')
    }
  })
})

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { DataDirLockedError, lockDataDir } from '../../src/store/data-dir-lock.js'

const root = mkdtempSync(join(tmpdir(), 'greenshift-lock-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshDir = (): string => {
  const dir = join(root, `d${++n}`)
  spawnSync('mkdir', ['-p', dir])
  return dir
}

const locked = (fn: () => unknown): DataDirLockedError => {
  try {
    fn()
  } catch (err) {
    if (err instanceof DataDirLockedError) return err
    throw err
  }
  throw new Error('expected DataDirLockedError')
}

describe('the embedded data directory lock', () => {
  test('one holder at a time; released, it can be taken again', () => {
    const dir = freshDir()
    const release = lockDataDir(dir, 'greenshift serve')
    const lock = JSON.parse(readFileSync(join(dir, 'greenshift.lock'), 'utf8'))
    expect(lock).toMatchObject({ pid: process.pid, host: hostname(), command: 'greenshift serve' })
    const err = locked(() => lockDataDir(dir, 'greenshift keys create'))
    expect(err.message).toContain(dir)
    expect(err.message).toContain(`pid ${process.pid}`)
    expect(err.message).toContain('"greenshift serve"')
    release()
    expect(existsSync(join(dir, 'greenshift.lock'))).toBe(false)
    lockDataDir(dir, 'greenshift serve')()
  })

  test('the lock of a process that is gone (killed, crashed) is taken over', () => {
    const dir = freshDir()
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    writeFileSync(join(dir, 'greenshift.lock'), JSON.stringify({ pid: Number(gone.stdout), host: hostname(), startTicks: null, bootId: null, since: 'earlier', command: 'greenshift serve' }))
    const release = lockDataDir(dir, 'greenshift serve')
    expect(JSON.parse(readFileSync(join(dir, 'greenshift.lock'), 'utf8')).pid).toBe(process.pid)
    release()
  })

  test('a lock left by an earlier process with our own pid (a restarted container\'s pid 1) is stale', () => {
    const dir = freshDir()
    writeFileSync(join(dir, 'greenshift.lock'), JSON.stringify({ pid: process.pid, host: hostname(), startTicks: 1, bootId: null, since: 'before the restart', command: 'greenshift serve' }))
    lockDataDir(dir, 'greenshift serve')()
  })

  test('another live process\'s lock is refused, naming that process', async () => {
    const dir = freshDir()
    const module = new URL('../../src/store/data-dir-lock.ts', import.meta.url).pathname
    const holder = spawn(process.execPath, ['--import', 'tsx', '-e',
      `import(${JSON.stringify(module)}).then(m => { m.lockDataDir(${JSON.stringify(dir)}, 'greenshift serve'); process.stdout.write('locked\\n'); process.stdin.resume() })`
    ], { stdio: ['pipe', 'pipe', 'inherit'] })
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('locked')) resolve() })
        holder.once('exit', code => { reject(new Error(`the holder exited with ${String(code)}`)) })
      })
      const err = locked(() => lockDataDir(dir, 'greenshift serve'))
      expect(err.owner.pid).toBe(holder.pid)
      expect(err.message).toContain(`pid ${String(holder.pid)}`)
    } finally {
      holder.kill('SIGKILL')
    }
    await new Promise(resolve => holder.once('exit', resolve))
    // Killed with its lock in place: the next start takes it over.
    lockDataDir(dir, 'greenshift serve')()
  })
})

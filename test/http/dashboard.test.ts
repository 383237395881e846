import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { afterAll, describe, expect, test } from 'vitest'
import { dashboardRoutes, webDir } from '../../src/http/routes/dashboard.js'
import { useTestApp } from '../support/app.js'

const root = mkdtempSync(join(tmpdir(), 'greenshift-web-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

async function appOver (dir: string) {
  const app = Fastify()
  await app.register(dashboardRoutes(dir))
  return app
}

describe('the dashboard routes', () => {
  test('GET / answers 503 saying how to build the assets when they are not built', async () => {
    const app = await appOver(join(root, 'missing'))
    const res = await app.inject('/')
    expect(res.statusCode).toBe(503)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.body).toContain('run `npm run build:web`')
    await app.close()
  })

  test('serves index.html and the assets with their types and a strict CSP; nothing outside the directory', async () => {
    const dir = join(root, 'built')
    mkdirSync(dir)
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
    writeFileSync(join(dir, 'app.js'), 'export {}')
    writeFileSync(join(dir, 'app.css'), 'body{}')
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
    writeFileSync(join(root, 'secret.js'), 'no')
    const app = await appOver(dir)
    const page = await app.inject('/')
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("script-src 'self';")
    expect(csp).not.toContain('unsafe-inline')
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    for (const [file, type] of [['app.js', 'text/javascript; charset=utf-8'], ['app.css', 'text/css; charset=utf-8'], ['favicon.svg', 'image/svg+xml']]) {
      const res = await app.inject(`/assets/${file}`)
      expect([file, res.statusCode, res.headers['content-type']]).toEqual([file, 200, type])
      expect(res.headers['content-security-policy']).toBe(csp)
    }
    for (const url of ['/assets/..%2Fsecret.js', '/assets/%2E%2E%2Fsecret.js', '/assets/index.html', '/assets/nope.js', '/assets/.hidden.js']) {
      const res = await app.inject(url)
      expect([url, res.statusCode]).toEqual([url, 404])
      expect(res.body).not.toBe('no')
    }
    await app.close()
  })

  test('the built directory is found from the package root, under src/ as under dist/src/', () => {
    expect(webDir()).toBe(join(process.cwd(), 'dist', 'web'))
  })
})

describe('the dashboard in the service', () => {
  const t = useTestApp()

  test('GET / needs no key and the routes stay out of the OpenAPI document', async () => {
    const { app } = t()
    const res = await app.inject('/')
    // 200 when `npm run build:web` has run, else the 503 that says to run it: never 401 or 404.
    expect([200, 503]).toContain(res.statusCode)
    const doc = (await app.inject('/docs/json')).json() as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths).filter(p => p === '/' || p.startsWith('/assets'))).toEqual([])
  })
})

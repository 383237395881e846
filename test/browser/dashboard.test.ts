import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { serve } from '../../src/main.js'
import { initdbFromTemplate } from '../support/pglite-template.js'

// The dashboard in Debian's chromium against the real service (`serve()`, embedded database, the
// built-in replayed grids, scheduler on). Without /usr/bin/chromium it skips, unless
// GREENSHIFT_REQUIRE_CHROMIUM=1 (CI, after scripts/chromium/install.sh): then it fails.
const CHROMIUM = '/usr/bin/chromium'
const present = existsSync(CHROMIUM)
const required = process.env.GREENSHIFT_REQUIRE_CHROMIUM === '1'
const ADMIN = 'gs_browser_test_admin_key_00000000000'
const SHOTS = join(process.cwd(), 'test-results')
/** Generous: two loaded cores run the server, its scheduler and the browser. */
const WAIT = 60_000

describe.skipIf(!present && !required)('the dashboard in chromium', () => {
  const root = mkdtempSync(join(tmpdir(), 'greenshift-browser-'))
  let server: Awaited<ReturnType<typeof serve>> | undefined
  let context: BrowserContext | undefined
  let page: Page
  /** Console errors, uncaught errors and failed requests in the page: each one fails the test. */
  const problems: string[] = []

  beforeAll(async () => {
    if (!present) throw new Error(`GREENSHIFT_REQUIRE_CHROMIUM=1 but ${CHROMIUM} is missing: run scripts/chromium/install.sh`)
    await promisify(execFile)(process.execPath, ['scripts/build-web.mjs'])
    const dataDir = join(root, 'data')
    await initdbFromTemplate(dataDir)
    // The running job hears from its "agent" once: an hour's agent timeout keeps it running however slowly the page loads.
    server = await serve({ GREENSHIFT_DATA_DIR: dataDir, LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', GREENSHIFT_ADMIN_KEY: ADMIN, GREENSHIFT_AGENT_TIMEOUT_SECONDS: '3600' })
    context = await chromium.launchPersistentContext(join(root, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      timeout: WAIT
    })
    context.setDefaultTimeout(WAIT)
    page = context.pages()[0] ?? await context.newPage()
    page.on('console', m => { if (m.type() === 'error') problems.push(`console: ${m.text()}`) })
    page.on('pageerror', e => { problems.push(`page error: ${e.message}`) })
    page.on('requestfailed', r => { problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`) })
    page.on('response', r => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`) })
    mkdirSync(SHOTS, { recursive: true })
  }, 180_000)

  afterAll(async () => {
    await context?.close()
    await server?.close()
    rmSync(root, { recursive: true, force: true })
  }, 60_000)

  async function call<T = Record<string, unknown>> (method: string, path: string, key: string, body?: unknown): Promise<{ status: number, json: T }> {
    const res = await fetch(`${server!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await res.text()
    return { status: res.status, json: (text === '' ? null : JSON.parse(text)) as T }
  }

  /** Polls `probe` every 250 ms until it returns a value (the scheduler works on its own clock). */
  async function until<T> (what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const end = Date.now() + 90_000
    for (;;) {
      const value = await probe()
      if (value !== undefined) return value
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
      await new Promise(resolve => setTimeout(resolve, 250))
    }
  }

  /**
   * History for the timeline and the report, made as an agent would: two jobs due at once on
   * h100-de (1 minute, the deadline 12 minutes away: 10 of them the safety margin), both claimed,
   * the first completed (finished, with a ledger), the second left running.
   */
  async function history (key: string): Promise<{ finished: string, running: string }> {
    const due = (name: string) => ({ name, gpus: 8, durationMinutes: 1, deadline: new Date(Date.now() + 12 * 60_000).toISOString(), pools: ['h100-de'], command: ['true'] })
    const finished = (await call<{ id: string }>('POST', '/v1/jobs', key, due('ran-before'))).json.id
    const running = (await call<{ id: string }>('POST', '/v1/jobs', key, due('running-now'))).json.id
    const token = (await call<{ token: string }>('POST', '/v1/pools/h100-de/tokens', ADMIN, { name: 'browser-test' })).json.token
    type Claim = { job: { id: string, attempt: number }, claim: string }
    const claims: Claim[] = []
    while (claims.length < 2) {
      claims.push(await until('a claim', async () => {
        const res = await call<Claim>('POST', '/v1/agent/claim', token, { agent: 'browser-test', waitSeconds: 5 })
        return res.status === 200 ? res.json : undefined
      }))
    }
    const startedAt = new Date().toISOString()
    for (const c of claims) {
      const beat = await call('POST', `/v1/agent/jobs/${c.job.id}/heartbeat`, token, { attempt: c.job.attempt, claim: c.claim, progress: 0.5 })
      expect(beat.status).toBeLessThan(300)
    }
    const first = claims.find(c => c.job.id === finished)!
    const done = await call('POST', `/v1/agent/jobs/${finished}/complete`, token, { attempt: first.job.attempt, claim: first.claim, exitCode: 0, startedAt, finishedAt: new Date().toISOString(), energyKwh: null })
    expect(done.status).toBeLessThan(300)
    await until('the ledger of the finished job', async () => (await call<{ ledger: unknown }>('GET', `/v1/jobs/${finished}`, key)).json.ledger ?? undefined)
    return { finished, running }
  }

  test('sign in with a key, read the charts, quote and submit a job, find it on its pool\'s timeline beside what ran, open it, read the report, sign out', async () => {
    const key = (await call<{ key: string }>('POST', '/v1/keys', ADMIN, { name: 'dashboard', scopes: ['submit', 'read'] })).json.key
    const ran = await history(key)
    await page.goto(`${server!.url}/`)
    const apiKey = page.locator('input[name=apiKey]')

    // A bad key: the server's reason, and the one 401 it costs (checked, then forgiven).
    await apiKey.fill('gs_not_a_key')
    await apiKey.press('Enter')
    await expect.poll(() => page.locator('form.signin .error').textContent()).toContain('unknown or revoked API key')
    // The listeners see what the page sees: the refusal, and nothing else.
    expect(problems.some(p => p.startsWith('HTTP 401'))).toBe(true)
    expect(problems.every(p => p.includes('401'))).toBe(true)
    problems.length = 0

    await apiKey.fill(key)
    await apiKey.press('Enter')
    // Zones: one uPlot canvas per zone, each with intensity points, labelled with signal and unit.
    await page.locator('.view-zones[aria-busy=false]').waitFor()
    const zones = page.locator('article.zone')
    expect(await zones.count()).toBe(7)
    expect(await page.locator('article.zone .uplot canvas').count()).toBeGreaterThanOrEqual(7)
    const points: number[] = []
    for (const chart of await page.locator('article.zone .uplot').all()) points.push(Number(await chart.getAttribute('data-points')))
    expect(points).toHaveLength(7)
    expect(points.every(n => n >= 48)).toBe(true)
    const de = await page.locator('article.zone[data-zone=DE]').textContent()
    expect(de).toContain('average signal')
    expect(de).toContain('gCO2e/kWh')
    expect(de).toMatch(/forecast to .* \(\d+ h ahead\)/)
    expect(de).toContain('answered by replay')
    expect(await page.evaluate('sessionStorage.getItem("greenshift.apiKey")')).toBe(key)
    await page.screenshot({ path: join(SHOTS, 'dashboard-zones.png'), fullPage: true })
    // The first screenful, as docs/dashboard.png shows it in the README.
    await page.screenshot({ path: join(SHOTS, 'dashboard.png') })

    // Plan: quote, see every pool's option with units and signal, submit.
    await page.locator('nav a[href="#/plan"]').click()
    await page.locator('input[name=name]').fill('browser-finetune')
    await page.locator('input[name=gpus]').fill('4')
    await page.locator('input[name=duration]').fill('6h')
    await page.locator('button[name=quote]').click()
    await page.locator('.quote table.options').waitFor()
    expect(await page.locator('.quote table.options tbody tr').count()).toBe(6)
    const best = await page.locator('.quote .best').textContent()
    expect(best).toMatch(/ k?g CO2e instead of .* k?g CO2e at once on /)
    expect(best).toContain('average signal')
    await page.screenshot({ path: join(SHOTS, 'dashboard-plan.png'), fullPage: true })
    await page.locator('button[name=submit]').click()
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/)
    const id = page.url().split('/').at(-1)!
    await page.locator('.view-jobs[aria-busy=false]').waitFor()
    expect(await page.locator('.view-jobs h1').textContent()).toContain('browser-finetune')
    expect(await page.locator('.view-jobs table.figures').first().textContent()).toMatch(/expected.*CO2e.*average signal/)

    // Timeline: the job is a box on its planned pool's lane, with its name as title; six lanes.
    await page.locator('nav a[href="#/timeline"]').click()
    await page.locator('.view-timeline[aria-busy=false]').waitFor()
    const box = page.locator(`svg.timeline rect.job[data-id="${id}"]`)
    await box.waitFor()
    // Planned, or already dispatched when the replayed week's greenest window opens now (the scheduler runs on the real clock).
    expect(await box.locator('title').textContent()).toMatch(/browser-finetune · (planned|dispatched) · 4 GPU/)
    expect(await page.locator('svg.timeline g.lane').count()).toBe(6)
    expect(await page.locator('svg.timeline line.now').count()).toBe(1)
    await page.locator(`svg.timeline rect.job.finished[data-id="${ran.finished}"]`).waitFor()
    await page.locator(`svg.timeline rect.job.running[data-id="${ran.running}"]`).waitFor()
    await page.screenshot({ path: join(SHOTS, 'dashboard-timeline.png'), fullPage: true })
    await box.click()
    await page.waitForURL(new RegExp(`#/jobs/${id}$`))
    await page.locator('.view-jobs[aria-busy=false]').waitFor()
    expect(await page.locator('.view-jobs').textContent()).toContain('Events')
    await page.screenshot({ path: join(SHOTS, 'dashboard-job.png'), fullPage: true })

    // Emissions: the finished job's baseline, actual and avoided CO2e, per day and per month, per signal.
    await page.locator('nav a[href="#/emissions"]').click()
    await page.locator('.view-emissions[aria-busy=false]').waitFor()
    const report = page.locator('section.report[data-signal=average]')
    expect(await report.locator('h2').textContent()).toContain('average signal')
    expect(await report.locator('.report-chart').count()).toBe(2)
    for (const chart of await report.locator('svg.bars').all()) {
      expect(await chart.getAttribute('aria-label')).toMatch(/^baseline, actual, avoided in (g|kg|t) CO2e$/)
      expect(await chart.locator('rect.bar.actual').count()).toBeGreaterThanOrEqual(1)
    }
    expect(await report.locator('table').textContent()).toMatch(/total.*CO2e/)
    await page.screenshot({ path: join(SHOTS, 'dashboard-emissions.png'), fullPage: true })

    await page.locator('button.signout').click()
    await apiKey.waitFor()
    expect(await page.evaluate('sessionStorage.getItem("greenshift.apiKey")')).toBeNull()
    expect(problems).toEqual([])
  }, 240_000)
})

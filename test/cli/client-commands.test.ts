import { describe, expect, test } from 'vitest'
import { refreshLedgers } from '../../src/scheduler/ledger.js'
import { HOUR, iso, NOW } from '../support/app.js'
import { runPlannedJob } from '../support/ledger.js'
import { useListeningApp } from './client-support.js'

// The client's clock is the app's NOW (Monday 2026-11-23 10:00Z) and its zone UTC+01:00, so
// 'tomorrow 09:00' is 2026-11-24 08:00Z. NORTH is 300 g/kWh, and 100 from 18:00 to 22:00Z.
const { t, run } = useListeningApp()
const JOB = ['--gpus', '2', '--duration', '2h', '--deadline', 'tomorrow 09:00', '--preferred-pool', 'gpu-north']
const TIMEOUT = 60_000

async function submitted (...extra: string[]): Promise<string> {
  const res = await run(['submit', '--name', 'finetune', ...JOB, '--json', ...extra, '--', 'train'])
  expect(res).toMatchObject({ code: 0, err: '' })
  return (JSON.parse(res.out) as { id: string }).id
}

describe('greenshift plan', () => {
  test('prints the best start per pool, best first, against starting now, with the signal', async () => {
    const res = await run(['plan', ...JOB])
    expect(res).toMatchObject({ code: 0, err: '' })
    // 2 GPUs × 400 W × 2 h at 100 g/kWh = 160 g in NORTH's green hours; at once, 480 g; SOUTH: 2 × 500 W × 2 h × 200 = 400 g.
    expect(res.out).toBe([
      'best start per pool for 2 GPUs × 2h, deadline 2026-11-24 08:00Z, lowest first:',
      'start 2026-11-23 18:00Z on gpu-north (NORTH) · 0.16 kg vs 0.48 kg now (−67 %)',
      'start 2026-11-23 10:00Z on gpu-south (SOUTH) · 0.40 kg vs 0.48 kg now (−17 %)',
      'CO2e on average intensity (lifecycle factors); "now" is starting at once on gpu-north (its preferred pool)',
      'submit would plan: gpu-north from 2026-11-23 18:00Z (latest safe start 2026-11-24 05:50Z)',
      ''
    ].join('\n'))
    // A quote stores nothing.
    expect((await run(['jobs'])).out).toBe('no jobs\n')
  }, TIMEOUT)

  test('--begin and --at print only the planned start in local time; --json the quote', async () => {
    expect(await run(['plan', ...JOB, '--begin'])).toEqual({ code: 0, out: '2026-11-23T19:00:00\n', err: '' })
    expect(await run(['plan', ...JOB, '--at'])).toEqual({ code: 0, out: '202611231900\n', err: '' })
    const json = JSON.parse((await run(['plan', ...JOB, '--json'])).out)
    expect(json.plan).toMatchObject({ pool: 'gpu-north', segments: [{ start: iso(NOW + 8 * HOUR) }], expected: { grams: 160, signal: 'average' } })
    expect(json.options.map((o: { pool: string }) => o.pool)).toEqual(['gpu-north', 'gpu-south'])
    // The deadline went out as the UTC instant 'tomorrow 09:00' at UTC+01:00 is.
    expect(json.plan.latestSafeStart).toBe(iso(NOW + 20 * HOUR - 10 * 60_000))
  }, TIMEOUT)

  test('--pool, --zone and --interruptible reach the API', async () => {
    const south = await run(['plan', ...JOB.slice(0, 6), '--zone', 'SOUTH', '--json'])
    expect(JSON.parse(south.out).options.map((o: { pool: string }) => o.pool)).toEqual(['gpu-south'])
    const sliced = await run(['plan', '--gpus', '1', '--duration', '5h', '--deadline', '+36h', '--pool', 'gpu-north', '--interruptible', '--json'])
    expect(JSON.parse(sliced.out).plan.segments.length).toBeGreaterThan(1)
  }, TIMEOUT)
})

describe('greenshift submit, jobs, job, cancel', () => {
  test('submit prints the id and plan; the argv after -- is the command; labels and the idempotency key reach the API', async () => {
    const argv = ['submit', '--name', 'finetune', ...JOB, '--label', 'team=nlp', '--idempotency-key', 'k-1', '--', 'python', 'train.py', '--epochs', '3']
    const res = await run(argv)
    expect(res).toMatchObject({ code: 0, err: '' })
    const id = /^job (\S+) planned: finetune, 2 GPUs × 2h, deadline 2026-11-24 08:00Z\n/.exec(res.out)?.[1]
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.out).toContain('  window             2026-11-23 18:00Z → 20:00Z\n')
    expect(res.out).toContain('  expected           0.16 kg (−67 %) vs 0.48 kg starting at once on gpu-north (its preferred pool)\n')
    expect(res.out).toContain('  figures            CO2e on average intensity (lifecycle factors)\n')
    const again = await run(argv)
    expect(again.out).toContain(`job ${id} planned (already submitted with this idempotency key)`)
    const job = JSON.parse((await run(['job', id!, '--json'])).out)
    expect(job).toMatchObject({ id, command: ['python', 'train.py', '--epochs', '3'], labels: { team: 'nlp' }, deadline: iso(NOW + 22 * HOUR) })
  }, TIMEOUT)

  test('jobs lists id, name, state, pool, start and expected; --state filters; --json is the page', async () => {
    const id = await submitted()
    const res = await run(['jobs'])
    expect(res.out).toBe([
      'ID                                    NAME      STATE    POOL       START              EXPECTED',
      `${id}  finetune  planned  gpu-north  2026-11-23 18:00Z  0.16 kg`,
      ''
    ].join('\n'))
    expect((await run(['jobs', '--state', 'running'])).out).toBe('no running jobs\n')
    const page = JSON.parse((await run(['jobs', '--limit', '1', '--json'])).out)
    expect(page).toMatchObject({ jobs: [{ id, state: 'planned' }], nextCursor: null })
  }, TIMEOUT)

  test('job shows the plan, runs, ledger and a timeline of events; cancel cancels', async () => {
    const id = await submitted()
    await runPlannedJob(t().deps, id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR })
    t().clock.now = NOW + 11 * HOUR
    await refreshLedgers(t().deps, t().clock.now)
    const res = await run(['job', id])
    expect(res.code).toBe(0)
    expect(res.out).toContain(`job ${id} succeeded: finetune\n  2 GPUs × 2h · deadline 2026-11-24 08:00Z · submitted 2026-11-23 10:00Z · command train\nplan\n  pool               gpu-north (NORTH)\n`)
    expect(res.out).toContain('runs\n  #1 gpu-north agent · dispatched 2026-11-23 18:00Z · started 2026-11-23 18:00Z · finished 2026-11-23 20:00Z · exit 0 · succeeded\n')
    expect(res.out).toContain('ledger\n  actual 0.16 kg on gpu-north vs baseline 0.48 kg on gpu-north from 2026-11-23 10:00Z · avoided 0.32 kg (67 %)\n' +
      '  energy 1.6 kWh (estimated) over 2h · CO2e on average intensity (lifecycle factors) · verified on actual intensity\n')
    expect(res.out).toContain('events\n  2026-11-23 10:00Z  submitted   – → pending           accepted\n')
    expect(res.out).toContain('  2026-11-23 20:00Z  transition  running → succeeded   finished on gpu-north with exit code 0\n')

    const other = await submitted('--idempotency-key', 'other', '--label', 'x=y')
    expect(await run(['cancel', other])).toEqual({ code: 0, out: `job ${other} cancelled: finetune\n`, err: '' })
    const cancelled = JSON.parse((await run(['job', other, '--json'])).out)
    expect(cancelled).toMatchObject({ state: 'cancelled', runs: [], ledger: null })
  }, TIMEOUT)
})

describe('greenshift report and zones', () => {
  test('report --month: a table by pool, --csv the server\'s CSV, --json the report for that UTC month', async () => {
    const id = await submitted('--label', 'team=nlp')
    await runPlannedJob(t().deps, id, { start: NOW + 8 * HOUR, end: NOW + 10 * HOUR })
    t().clock.now = NOW + 11 * HOUR
    await refreshLedgers(t().deps, t().clock.now)
    const table = await run(['report', '--month', '2026-11', '--by', 'pool'])
    expect(table).toEqual({
      code: 0,
      err: '',
      out: [
        'emissions 2026-11-01 00:00Z → 2026-12-01 00:00Z, by pool; actual is location-based, avoided = baseline − actual',
        'POOL       FIGURES       ENERGY   ACTUAL   BASELINE  AVOIDED         JOBS',
        'gpu-north  average CO2e  1.6 kWh  0.16 kg  0.48 kg   0.32 kg (67 %)  1',
        'total      average CO2e  1.6 kWh  0.16 kg  0.48 kg   0.32 kg (67 %)  1',
        ''
      ].join('\n')
    })
    const csv = await run(['report', '--month', '2026-11', '--by', 'label:team', '--csv'])
    expect(csv.out.split('\n')[0]).toMatch(/^period_start,period_end,group,signal,/)
    expect(csv.out.split('\n')[1]).toMatch(/^,,nlp,average,lifecycle,co2e,1\.6,/)
    const json = JSON.parse((await run(['report', '--month', '2026-11', '--json'])).out)
    expect(json).toMatchObject({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', groupBy: 'month', totals: [{ avoidedGrams: 320, jobs: 1 }] })
    expect((await run(['report', '--month', '2026-10'])).out).toContain('no jobs ran in this span\n')
    const span = JSON.parse((await run(['report', '--from', '2026-11-23', '--to', '2026-11-24T00:00:00Z', '--by', 'day', '--json'])).out)
    expect(span.rows).toMatchObject([{ periodStart: '2026-11-23T00:00:00.000Z', actualGrams: 160 }])
  }, TIMEOUT)

  test('zones: provider, signal, pools, forecast age and horizon, last error', async () => {
    await run(['plan', ...JOB]) // the quote fetches each zone's forecast at NOW
    t().clock.now = NOW + 5 * 60_000
    const res = await run(['zones'])
    expect(res.out).toBe([
      'ZONE   PROVIDER  SIGNAL   POOLS      FORECAST AGE  HORIZON END        ANSWERED BY  LAST ERROR',
      'NORTH  csv       average  gpu-north  5 min         2026-11-25 10:00Z  csv          –',
      'SOUTH  csv       average  gpu-south  5 min         2026-11-25 10:00Z  csv          –',
      ''
    ].join('\n'))
    const south = t().deps.zoneStatus.get('SOUTH')
    expect(south).toBeDefined()
    south!.lastError = 'csv: file not found'
    expect((await run(['zones'])).out).toContain('csv          csv: file not found\n')
    const json = JSON.parse((await run(['zones', '--json'])).out)
    expect(json.map((z: { name: string }) => z.name)).toEqual(['NORTH', 'SOUTH'])
    expect(json[0].forecast).toMatchObject({ ageSeconds: 300, answeredBy: 'csv' })
  }, TIMEOUT)
})

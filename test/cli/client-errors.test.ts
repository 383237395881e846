import { describe, expect, test } from 'vitest'
import { deadUrl, useListeningApp, type Ran } from './client-support.js'

const { t, url, run } = useListeningApp()
const JOB = ['--gpus', '2', '--duration', '2h', '--deadline', 'tomorrow 09:00']
const TIMEOUT = 60_000

/** An error is one `greenshift: …` line on stderr and nothing on stdout. */
function failed (res: Ran, code: number, message: string | RegExp): void {
  expect(res.out).toBe('')
  expect(res.err.split('\n')).toHaveLength(2)
  expect(res.err.startsWith('greenshift: ')).toBe(true)
  if (typeof message === 'string') expect(res.err).toContain(message)
  else expect(res.err).toMatch(message)
  expect(res.code).toBe(code)
}

describe('usage errors: exit 2, naming the flag, before any request', () => {
  test.each([
    ['a bad duration', ['plan', '--gpus', '2', '--duration', '2x', '--deadline', '+1d'], '--duration "2x" is not a duration; use 6h, 90m, 1h30m or 2d'],
    ['a missing --gpus', ['plan', '--duration', '2h', '--deadline', '+1d'], '--gpus is required, e.g. --gpus 4'],
    ['--gpus not a number', ['plan', '--gpus', 'four', '--duration', '2h', '--deadline', '+1d'], '--gpus must be a whole number from 1 to 100000 (got "four")'],
    ['a deadline that is no time', ['plan', ...JOB.slice(0, 4), '--deadline', 'next friday'], '--deadline "next friday" is not a time; use '],
    // 11:00 at UTC+01:00: today 09:00 has passed, and the message says what it resolved to.
    ['a deadline that has passed', ['plan', ...JOB.slice(0, 4), '--deadline', 'today 09:00'], '--deadline "today 09:00" is 2026-11-23 08:00Z, which has passed'],
    ['a missing --name', ['submit', ...JOB], '--name is required'],
    ['an unknown option', ['jobs', '--colour', 'green'], 'jobs: unknown option --colour (see greenshift jobs --help)'],
    ['a flag without its value', ['plan', '--gpus'], 'plan: --gpus needs a value'],
    ['two outputs', ['plan', ...JOB, '--begin', '--json'], 'plan: --begin, --at and --json each choose the output; give one'],
    ['a word before --', ['submit', '--name', 'x', ...JOB, 'python', '--', 'train.py'], 'submit: unexpected argument "python"; put the job\'s command after --'],
    ['a job without its ID', ['job'], 'job: the job\'s ID is required'],
    ['a stray word', ['zones', 'extra'], 'zones: unexpected argument "extra" (see greenshift zones --help)'],
    ['a key where a flag belongs, never echoed', ['jobs', 'gs_secret_key_0123456789abcdefgh'], 'jobs: unexpected argument that looks like an API key (give it with --key or GREENSHIFT_API_KEY)'],
    ['an unknown state', ['jobs', '--state', 'done'], '--state must be one of pending, planned, dispatched, running, succeeded, failed, cancelled (got "done")'],
    ['a month and a span', ['report', '--month', '2026-11', '--from', '2026-11-02'], 'report: --month or --from/--to, not both'],
    ['a bad --label', ['submit', '--name', 'x', ...JOB, '--label', 'team'], '--label must be key=value (got "team")']
  ])('%s', async (_, argv, message) => {
    failed(await run(argv), 2, message)
  }, TIMEOUT)

  test('no API key: exit 2, saying which variable to set', async () => {
    failed(await run(['zones'], { GREENSHIFT_URL: url() }), 2, 'greenshift: no API key: set GREENSHIFT_API_KEY')
  }, TIMEOUT)
})

describe('the server refused: exit 1 with its problem', () => {
  test('a 422 names the field and the flag that set it', async () => {
    failed(await run(['plan', ...JOB, '--pool', 'gpu-north', '--pool', 'nope']), 1,
      'greenshift: POST /v1/quotes: 422 Unprocessable Content: pools[1]: unknown pool "nope" (field pools[1], from --pool)')
    // 30 h of work does not fit before tomorrow 09:00 (22 h away).
    failed(await run(['submit', '--name', 'x', '--gpus', '2', '--duration', '30h', '--deadline', 'tomorrow 09:00']), 1, /^greenshift: POST \/v1\/jobs: 422 .*\(field durationMinutes, from --duration\)\n$/)
  }, TIMEOUT)

  test('a 400 from a query names its flag; a 404 names the job', async () => {
    failed(await run(['report', '--month', '2026-11', '--by', 'colour']), 1, /400 Bad Request: groupBy: "colour" is not a dimension; use month, .*\(field groupBy, from --by\)/)
    const id = '00000000-0000-4000-8000-000000000000'
    failed(await run(['job', id]), 1, `greenshift: GET /v1/jobs/${id}: 404 Not Found: job ${id} not found`)
  }, TIMEOUT)

  test('a wrong key is a 401 that never shows the key; a read-only key cannot submit', async () => {
    const res = await run(['jobs'], { GREENSHIFT_URL: url(), GREENSHIFT_API_KEY: 'gs_not_a_real_key_0123456789abcdef' })
    failed(res, 1, 'GET /v1/jobs: 401 Unauthorized')
    expect(res.err).toContain('(check GREENSHIFT_API_KEY or --key)')
    expect(res.err).not.toContain('gs_not_a_real_key')
    failed(await run(['submit', '--name', 'x', ...JOB], { GREENSHIFT_URL: url(), GREENSHIFT_API_KEY: t().keys.aRead }), 1, 'POST /v1/jobs: 403 Forbidden')
  }, TIMEOUT)
})

describe('the server is unreachable: exit 3, naming the URL and where it came from', () => {
  test('from GREENSHIFT_URL or --url; the key is never shown', async () => {
    const dead = await deadUrl()
    const key = t().keys.a
    const fromEnv = await run(['jobs'], { GREENSHIFT_URL: dead, GREENSHIFT_API_KEY: key })
    failed(fromEnv, 3, `greenshift: cannot reach the server at ${dead} (from GREENSHIFT_URL): connect ECONNREFUSED`)
    const fromFlag = await run(['plan', ...JOB, '--url', dead, '--key', key], { GREENSHIFT_URL: url() })
    failed(fromFlag, 3, `cannot reach the server at ${dead} (from --url)`)
    for (const r of [fromEnv, fromFlag]) expect(r.err).not.toContain(key)
  }, TIMEOUT)

  test('--url and --key win over the environment', async () => {
    const res = await run(['jobs', '--url', url(), '--key', t().keys.a], { GREENSHIFT_URL: await deadUrl(), GREENSHIFT_API_KEY: 'gs_wrong' })
    expect(res).toEqual({ code: 0, out: 'no jobs\n', err: '' })
  }, TIMEOUT)
})

describe('help', () => {
  test('greenshift help lists the client commands, the time zone of words, and the exit codes', async () => {
    const res = await run(['help'])
    expect(res.code).toBe(0)
    expect(res.out).toContain("plan --gpus N --duration 6h --deadline 'tomorrow 09:00'")
    expect(res.out).toContain("are in this machine's time zone (TZ)")
    expect(res.out).toContain('exit codes: 0 ok; 1 the server refused or failed (4xx/5xx) or another error; 2 usage error\n(bad flags); 3 the server is unreachable')
  }, TIMEOUT)

  test.each(['plan', 'submit', 'jobs', 'job', 'cancel', 'report', 'zones'])('%s --help needs no server or key', async command => {
    const res = await run([command, '--help'], {})
    expect(res.code).toBe(0)
    expect(res.out).toMatch(/^usage: greenshift /)
    expect(res.out).toContain(command === 'cancel' || command === 'job' ? `greenshift ${command} ID` : `greenshift ${command}`)
  }, TIMEOUT)
})

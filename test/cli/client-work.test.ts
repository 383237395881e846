import { describe, expect, test } from 'vitest'
import { jobInput } from '../../src/cli/client/job-spec.js'
import { fixedZone } from '../../src/cli/client/time.js'
import { NOW } from '../support/app.js'
import { addA4000, SEED_CSV, useListeningApp, type Ran } from './client-support.js'

// plan and submit given a job's work in place of --duration. The client's clock is the app's NOW
// (2026-11-23 10:00Z), its zone UTC+01:00. Fixture pools: gpu-north, A100 at 400 W; gpu-south,
// L40S at 500 W; PUE 1. The history test adds an RTX A4000 pool (140 W) and imports the seed run.
const { t, run } = useListeningApp()
const TIMEOUT = 60_000
const WORK = ['--params', '7e9', '--samples', '52000', '--seq-len', '512', '--method', 'lora']
const JOB = ['--gpus', '1', '--deadline', 'tomorrow 09:00']
const JOB_VALUES = { gpus: '1', deadline: 'tomorrow 09:00' }

function failed (res: Ran, code: number, message: string | RegExp): void {
  expect(res.out).toBe('')
  expect(res.code).toBe(code)
  if (typeof message === 'string') expect(res.err).toBe(`greenshift: ${message}\n`)
  else expect(res.err).toMatch(message)
}

describe('the work flags become the body\'s work', () => {
  const io = { out: () => {}, err: () => {}, now: () => NOW, zone: fixedZone(60) }

  test('work in place of durationMinutes; --family is labels.family, beside the other labels', () => {
    const values = { ...JOB_VALUES, params: '7B', samples: '52k', 'seq-len': '512', epochs: '2', method: 'lora', precision: 'fp16', family: 'alpaca-lora', label: ['team=nlp'] }
    const { body, work } = jobInput(values, io, 'ft')
    expect(body).toEqual({
      name: 'ft',
      gpus: 1,
      work: { parameters: 7e9, samples: 52_000, seqLen: 512, epochs: 2, method: 'lora', precision: 'fp16' },
      deadline: '2026-11-24T08:00:00.000Z',
      labels: { team: 'nlp', family: 'alpaca-lora' }
    })
    expect(work).toEqual(body.work)
    expect(jobInput({ ...JOB_VALUES, params: '1.3b', tokens: '2M', method: 'full' }, io, 'ft').body.work).toEqual({ parameters: 1.3e9, tokens: 2e6, method: 'full' })
    // A matching --label family= is no conflict; --duration jobs send durationMinutes and no work.
    expect(jobInput({ ...values, label: ['family=alpaca-lora'] }, io, 'ft').body.labels).toEqual({ family: 'alpaca-lora' })
    const timed = jobInput({ ...JOB_VALUES, duration: '2h' }, io, 'ft')
    expect(timed.body).toMatchObject({ durationMinutes: 120 })
    expect(timed.body).not.toHaveProperty('work')
    expect(timed.summary(null)).toBe('1 GPU × 2h, deadline 2026-11-24 08:00Z')
  })

  test('submit stores the work and the family; --json is the API\'s answer', async () => {
    const res = await run(['submit', '--name', 'alpaca', ...JOB, ...WORK, '--epochs', '2', '--family', 'alpaca-lora', '--json', '--', 'python', 'train.py'])
    expect(res).toMatchObject({ code: 0, err: '' })
    const job = JSON.parse(res.out)
    expect(job).toMatchObject({
      work: { parameters: 7e9, samples: 52_000, seqLen: 512, epochs: 2, method: 'lora' },
      labels: { family: 'alpaca-lora' },
      command: ['python', 'train.py'],
      estimate: { family: 'alpaca-lora', method: 'estimated:flops' }
    })
    // 1.49e18 FLOPs at 30 % of the A100's 312 TFLOPS on gpu-north, the longer of the two pools:
    // 265 min to the estimate's three significant figures.
    expect(job.durationMinutes).toBe(265)
  }, TIMEOUT)
})

describe('usage errors: exit 2, naming the flags', () => {
  test.each([
    ['--duration and work', ['plan', ...JOB, '--duration', '2h', ...WORK], 'give --duration or the job\'s work (--params, --samples, --seq-len, --method), not both'],
    ['--duration and one work flag', ['submit', '--name', 'x', ...JOB, '--duration', '2h', '--epochs', '2'], 'give --duration or the job\'s work (--epochs), not both'],
    ['neither', ['plan', ...JOB], 'give --duration (e.g. --duration 6h) or the job\'s work (e.g. --params 7e9 --samples 52000 --seq-len 512 --method lora)'],
    ['--family alone is no work', ['plan', ...JOB, '--family', 'f'], /^greenshift: give --duration \(e\.g\. --duration 6h\) or the job's work/],
    ['work without --method', ['plan', ...JOB, ...WORK.slice(0, 6)], '--method is required, e.g. --method lora'],
    ['work without its size', ['submit', '--name', 'x', ...JOB, '--params', '7e9', '--method', 'lora'], 'give --tokens, or --samples with --seq-len, e.g. --samples 52000 --seq-len 512'],
    ['a bad amount', ['plan', ...JOB, ...WORK, '--epochs', 'two'], '--epochs must be a positive number such as 7e9, 7B or 52k (got "two")'],
    ['--family against --label family=', ['submit', '--name', 'x', ...JOB, ...WORK, '--family', 'a', '--label', 'family=b'], '--family "a" and --label family=b disagree; give one']
  ])('%s', async (_, argv, message) => {
    failed(await run(argv), 2, message)
  }, TIMEOUT)
})

describe('the server refused the work: exit 1, naming the user\'s flags', () => {
  test('a work field names its flag; work that cannot be planned names the work flags', async () => {
    failed(await run(['plan', ...JOB, '--params', '2e13', '--tokens', '1e6', '--method', 'lora']), 1,
      /^greenshift: POST \/v1\/quotes: 400 .*work\.parameters must be <= 10000000000000 \(field work\.parameters, from --params\)\n$/)
    // 3 × 1e9 tokens of a 70B full fine-tune: 1.26e21 FLOPs, about 5 days on an L40S.
    failed(await run(['submit', '--name', 'x', ...JOB, '--params', '70e9', '--tokens', '1e9', '--epochs', '3', '--method', 'full']), 1,
      /^greenshift: POST \/v1\/jobs: 422 .*\(field work, from --params, --tokens, --samples, --seq-len, --epochs, --method or --precision\)\n$/)
    expect((await run(['jobs'])).out).toBe('no jobs\n')
  }, TIMEOUT)
})

describe('plan and submit print the estimate the job was planned with', () => {
  test('plan: the work, the duration planned (the longest pool) and each pool\'s estimate, then the quote', async () => {
    const res = await run(['plan', ...JOB, ...WORK, '--preferred-pool', 'gpu-north'])
    expect(res).toMatchObject({ code: 0, err: '' })
    // 7.45e17 FLOPs at 30 % of the A100's 312 TFLOPS: 132.7 min, 133 min at most, on gpu-north; each pool at its own speed.
    expect(res.out).toBe([
      'work: lora 4·N·T, N = 7e9, T = 52000 × 512 = 2.66e7 tokens → at most 2h13m, on gpu-north (estimated:flops); each pool is planned at its own speed',
      'estimate per pool: gpu-north 2h13m (1h29m–3h41m), 0.885 kWh (0.59–1.47); gpu-south 1h54m (1h16m–3h11m), 0.953 kWh (0.636–1.59)',
      'best start per pool for 1 GPU × 2h13m (estimated from its work), deadline 2026-11-24 08:00Z, lowest first:',
      'start 2026-11-23 18:00Z on gpu-north (NORTH) · 0.09 kg vs 0.27 kg now (−67 %)',
      'start 2026-11-23 10:00Z on gpu-south (SOUTH) · 0.19 kg vs 0.27 kg now (−28 %)',
      'CO2e on average intensity (lifecycle factors); "now" is starting at once on gpu-north (its preferred pool)',
      'submit would plan: gpu-north from 2026-11-23 18:00Z (latest safe start 2026-11-24 05:37Z)',
      ''
    ].join('\n'))
  }, TIMEOUT)

  test('submit, after the seed run was imported: planned as 7h54m from history (the README\'s example)', async () => {
    await addA4000(t())
    expect((await run(['import', 'codecarbon', SEED_CSV, ...WORK, '--epochs', '1'])).code).toBe(0)
    const res = await run(['submit', '--name', 'alpaca-lora', '--params', '7e9', '--samples', '52000', '--seq-len', '512', '--epochs', '2', '--method', 'lora', '--gpus', '1', '--deadline', 'tomorrow 09:00', '--', 'python', 'train.py'])
    expect(res).toMatchObject({ code: 0, err: '' })
    const lines = res.out.split('\n')
    expect(lines[0]).toMatch(/^job [0-9a-f-]{36} planned: alpaca-lora, 1 GPU × 7h54m \(estimated from its work\), deadline 2026-11-24 08:00Z$/)
    expect(lines.slice(1, 4)).toEqual([
      '  work: lora 4·N·T, N = 7e9, T = 52000 × 512 × 2 epochs = 5.32e7 tokens → at most 7h54m, on a4000 (estimated:history, 1 run); each pool is planned at its own speed',
      '  estimate per pool: a4000 7h54m (7h7m–8h41m), 1.39 kWh (1.25–1.53); gpu-north 4h25m (2h57m–7h22m), 1.77 kWh (1.18–2.95) estimated:flops; gpu-south 3h49m (2h33m–6h21m), 1.91 kWh (1.27–3.18) estimated:flops',
      '  pool               gpu-north (NORTH)'
    ])
  }, TIMEOUT)
})

describe('help', () => {
  test('greenshift help, plan --help and submit --help show the work in place of --duration', async () => {
    expect((await run(['help'])).out).toContain('plan --gpus 1 --params 7e9 --samples 52000 --seq-len 512 --method lora --deadline WHEN')
    for (const command of ['plan', 'submit']) {
      const res = await run([command, '--help'], {})
      expect(res.out).toContain(`greenshift ${command} `)
      expect(res.out).toContain('(--duration D | WORK)')
      expect(res.out).toContain('    --seq-len L         tokens per sample')
      expect(res.out).toContain('  --family NAME         the job\'s energy history family')
    }
    expect((await run(['submit', '--help'], {})).out).toContain("--params 7e9 --samples 52000 --seq-len 512 --epochs 2 --method lora \\\n    --gpus 1 --deadline 'tomorrow 09:00' -- python train.py")
  }, TIMEOUT)
})

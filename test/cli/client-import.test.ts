import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { parseCsv } from '../../src/cli/client/csv.js'
import { addA4000, SEED_CSV, useListeningApp } from './client-support.js'

// The fixture pools: gpu-north (A100) and gpu-south (L40S); the tests add an RTX A4000 pool at 140 W, PUE 1.
const { t, run } = useListeningApp()
const TIMEOUT = 60_000
const WORK = ['--params', '7e9', '--method', 'lora', '--samples', '52000', '--seq-len', '512']

async function csvFile (text: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'greenshift-import-')), 'emissions.csv')
  await writeFile(file, text)
  return file
}

describe('greenshift import codecarbon', () => {
  test('the seed run imported as history: a 2-epoch job is estimated at ≈ 1.39 kWh', async () => {
    await addA4000(t())
    const flops = JSON.parse((await run(['estimate', ...WORK, '--epochs', '2', '--pool', 'a4000', '--json'])).out).estimates[0]
    expect(flops).toMatchObject({ method: 'estimated:flops', energyKwh: { mid: 2.52 } })
    const res = await run(['import', 'codecarbon', SEED_CSV, ...WORK, '--epochs', '1'])
    expect(res).toMatchObject({ code: 0, err: '' })
    expect(res.out).toBe([
      'stored 1 run as energy history of lora:7000000000 (T = 2.66e+7 tokens each):',
      'ROW    GPUS           ENERGY (IT)  TIME   PER TOKENS',
      'row 1  1 × RTX-A4000  0.694 kWh    3h57m  0.026 kWh per 1M tokens',
      ''
    ].join('\n'))
    const est = await run(['estimate', ...WORK, '--epochs', '2', '--pool', 'a4000'])
    expect(est).toMatchObject({ code: 0, err: '' })
    expect(est.out).toContain('a4000  NVIDIA RTX A4000  7h54m (7h7m–8h41m)  1.39 kWh (1.25–1.53)')
    expect(est.out).toContain('estimated:history (a4000 1 run): the median measured kWh and GPU-minutes per token of lora:7000000000')
    // A 2-epoch job is planned with it.
    const job = await t().app.inject({
      method: 'POST', url: '/v1/jobs', headers: t().auth(t().keys.a),
      payload: { name: 'lora-2ep', command: ['train'], gpus: 1, pools: ['a4000'], work: { parameters: 7e9, method: 'lora', samples: 52_000, seqLen: 512, epochs: 2 }, deadline: new Date(t().clock.now + 30 * 3_600_000).toISOString() }
    })
    expect(job.json()).toMatchObject({ durationMinutes: 474, estimate: { method: 'estimated:history', runs: 1, energyKwh: { mid: 1.39 } } })
  }, TIMEOUT)

  test('the same file imported twice counts its runs once (CodeCarbon\'s run_id)', async () => {
    expect((await run(['import', 'codecarbon', SEED_CSV, ...WORK])).code).toBe(0)
    const again = await run(['import', 'codecarbon', SEED_CSV, ...WORK])
    expect(again).toMatchObject({ code: 0, err: '' })
    expect(again.out.split('\n')[0]).toBe('stored 0 runs as energy history of lora:7000000000 (T = 2.66e+7 tokens each); 1 already stored (the same run_id), not counted again:')
  }, TIMEOUT)

  test('--json prints the API\'s answer; --family keeps the runs under that name', async () => {
    const res = await run(['import', 'codecarbon', SEED_CSV, ...WORK, '--family', 'alpaca-lora', '--json'])
    expect(res.code).toBe(0)
    expect(JSON.parse(res.out)).toMatchObject({ stored: 1, family: 'alpaca-lora', runs: [{ gpuModel: 'RTX-A4000', gpus: 1, energyKwh: 0.694, durationMinutes: 237 }] })
  }, TIMEOUT)

  test('a file that is not CodeCarbon\'s, or a bad cell, is a usage error naming the column and row; nothing is sent', async () => {
    const header = 'timestamp,duration,energy_consumed,gpu_energy,cpu_energy,ram_energy,gpu_count,gpu_model'
    const usage = async (args: string[], message: RegExp) => {
      const res = await run(args)
      expect(res.code, args.join(' ')).toBe(2)
      expect(res.err).toMatch(message)
    }
    await usage(['import', 'codecarbon', await csvFile('timestamp,duration\n1,2\n'), ...WORK], /has no column energy_consumed, gpu_energy, cpu_energy, ram_energy, gpu_model/)
    await usage(['import', 'codecarbon', await csvFile(`${header}\nx,100,0.6,0.5,0.08,0.02,1,A100\nx,abc,0.6,0.5,0.08,0.02,1,A100\n`), ...WORK], /row 2 \(line 3\), column duration: "abc" is not a number/)
    await usage(['import', 'codecarbon', await csvFile(`${header}\nx,100,0.6,0.5,0.08,0.02,,\n`), ...WORK], /row 1 \(line 2\), column gpu_model: empty/)
    await usage(['import', 'codecarbon', await csvFile(`${header}\n"x,100,0.6\n`), ...WORK], /quoted field opened on line 2 is never closed/)
    await usage(['import', 'codecarbon', '/nonexistent/emissions.csv', ...WORK], /cannot read \/nonexistent\/emissions.csv: ENOENT/)
    await usage(['import', 'wandb', SEED_CSV, ...WORK], /format first: greenshift import codecarbon FILE/)
    await usage(['import', 'codecarbon', SEED_CSV, '--params', '7e9', '--method', 'lora'], /--tokens, or --samples with --seq-len/)
    // The server's check (energy_consumed is the sum of the parts) names the row: exit 1.
    const refused = await run(['import', 'codecarbon', await csvFile(`${header}\nx,100,0.9,0.5,0.08,0.02,1,A100\n`), ...WORK])
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(/422 .*rows\[0\]\.energy_consumed/)
    // Named as the file's row 1, as the command's own checks name it; the sum without float noise.
    expect(refused.err).toMatch(/from \S+\.csv row 1\)/)
    expect(refused.err).toContain('(0.6 kWh)')
    expect(await t().deps.store.db.selectFrom('energy_history').selectAll().execute()).toEqual([])
  }, TIMEOUT)

  test('CSV: quoted fields hold commas, quotes and line breaks; CRLF ends records', () => {
    expect(parseCsv('a,b,c\r\n"x, y","say ""hi""","two\nlines"\r\n1,,3')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 4, fields: ['1', '', '3'] }
    ])
  })
})

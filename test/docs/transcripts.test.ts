import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { drift, masked, produce, README, rewrite } from '../../scripts/transcripts.js'

// The README's transcripts are what the service prints: run against the real service (embedded
// database, replayed 2022 grids), they must have the README's shape line by line.

test('every README transcript has the shape of what the service and the CLI print now', async () => {
  const transcripts = await produce()
  expect([...transcripts.keys()].sort()).toEqual(['cli', 'cli-error', 'errors', 'estimate', 'submit-answer', 'time-shift'])
  const readme = readFileSync(README, 'utf8')
  expect(drift(readme, transcripts)).toEqual([])
  // A renamed field, a changed message or a lost line is drift.
  expect(drift(readme.replace('"latestSafeStart"', '"latestStart"'), transcripts)).toEqual([expect.stringMatching(/^submit-answer, line \d+: README has/)])
  expect(drift(readme.replace('must be one of "pending"', 'must be equal to constant'), transcripts)).toEqual([expect.stringMatching(/^errors, line/)])
  expect(drift(rewrite(readme, new Map([['cli', '```console\n```\n']])), transcripts)).toEqual([expect.stringMatching(/^cli, line 2/)])
}, 120_000)

test('figures, instants, ids, pools and the replayed week\'s choices are masked; words are not', () => {
  const a = 'start 2026-12-03 15:00Z on h100-se (SE-SE3) · 0.51 kg vs 14.4 kg now (−96 %)'
  const b = 'start 2026-12-04 11:32:49Z on h100-de (DE) · 14.4 kg vs 14.4 kg now'
  expect(masked(a)).toBe(masked(b))
  expect(masked('  window  2026-12-03 22:00Z → 2026-12-04 04:00Z')).toBe(masked('  window  2026-12-03 15:00Z → 21:00Z'))
  // A whole number of grams keeps the comma after it; thousands separators stay inside the number.
  expect(masked('{"grams": 13877, "percent": 96.46}')).toBe(masked('{"grams": 13877.2, "percent": 96.5}'))
  expect(masked('614,597.3 g CO2e')).toBe(masked('9.1 g CO2e'))
  expect(masked('job 8a159a49-519c-4bef-812a-15246f26a5f2 planned')).not.toBe(masked('job 8a159a49-519c-4bef-812a-15246f26a5f2 pending'))
})

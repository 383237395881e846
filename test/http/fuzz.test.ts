import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, test } from 'vitest'
import { EXAMPLES } from '../support/fuzz-examples.js'
import { knownIssue } from '../support/fuzz-known.js'
import { describeRequest, operationsOf, payloadOf, requestFor, urlOf, type FuzzRequest, type Operation } from '../support/fuzz-request.js'
import { useFuzzWorld } from '../support/fuzz-world.js'
import { countChanges, rowCounter } from '../support/row-counts.js'

// Every operation of the committed OpenAPI document is driven with requests generated from its
// schema and made hostile, through the app in-process. Whatever comes, no answer is a 5xx, and a
// refused request (≥ 400) leaves every table's row count as it was.
//   FUZZ_SEED   seed (default below; each operation adds its index)
//   FUZZ_RUNS   requests per operation (default 30)
//   FUZZ_KNOWN  0: leave out the requests of known, not yet fixed bugs (see fuzz-known.ts)
//   FUZZ_SHRINK 1: shrink a failure to a smaller counterexample (slow; off by default)
//   FUZZ_STATS  1: print how often each status was answered, per operation
const SEED = Number(process.env.FUZZ_SEED ?? 20261203)
const RUNS = Number(process.env.FUZZ_RUNS ?? 30)
const KNOWN = process.env.FUZZ_KNOWN !== '0'
const SHRINK = process.env.FUZZ_SHRINK === '1'
const STATS = process.env.FUZZ_STATS === '1'

const doc = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'))
const operations = operationsOf(doc)
const world = useFuzzWorld()

/** A cursor as the API makes them, `[submittedAtMs, id]` in base64url, holding what no page ever ends at. */
const forgedCursor = fc.tuple(
  fc.constantFrom<unknown>(8.64e15, -8.64e15, 8.64e15 + 1, 253_402_300_800_000, -62_167_219_200_001, 1e308, 1.5, -1, 0, '1', null),
  fc.oneof(fc.uuid(), fc.constantFrom<unknown>('\u0000', '\ud800', '', 1, null))
).map(pair => Buffer.from(JSON.stringify(pair)).toString('base64url'))

async function send (op: Operation, req: FuzzRequest) {
  const w = world()
  const fill = (s: string) => s.replace(/@\w+@/g, ref => w.refs.get(ref) ?? ref)
  const url = urlOf(op.path, req, fill)
  const payload = payloadOf(req, fill)
  const headers: Record<string, string> = { ...req.headers }
  if (req.contentType !== undefined && req.contentType !== '') headers['content-type'] = req.contentType
  if (req.auth !== 'none') Object.assign(headers, w.credentials(op.path, payload, req.auth === 'forged'))
  return await w.app.inject({ method: op.method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) })
}

describe(`fuzzed requests from openapi.json (seed ${SEED}, ${RUNS} per operation, known bugs ${KNOWN ? 'included' : 'left out'})`, () => {
  test.each(operations.map((op, i) => [`${op.method} ${op.path}`, op, i] as const))('%s: no 5xx, and nothing stored when refused', async (_name, op, i) => {
    const w = world()
    const counts = await rowCounter(w.store.db)
    const wanted = (r: FuzzRequest) => KNOWN || knownIssue(r) === undefined
    const requests = requestFor(op, w.context(op.operationId), { cursor: forgedCursor }).filter(wanted)
    const examples = (EXAMPLES[op.operationId] ?? []).filter(wanted).map(r => [r] as [FuzzRequest])
    const statuses = new Map<number, number>()
    await fc.assert(fc.asyncProperty(requests, async req => {
      await w.refresh(op.operationId)
      const before = await counts()
      const res = await send(op, req)
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
      const known = knownIssue(req)
      const why = `${res.statusCode} ${res.body.slice(0, 300)}${known === undefined ? '' : ` [known: ${known}]`}\n  ${describeRequest(req)}`
      if (res.statusCode >= 500) throw new Error(`5xx: ${why}`)
      if (res.statusCode >= 400) {
        const changed = countChanges(before, await counts())
        if (changed.length > 0) throw new Error(`refused, yet stored (${changed.join(', ')}): ${why}`)
      }
    }), { seed: SEED + i, numRuns: RUNS, examples, endOnFailure: !SHRINK })
    if (STATS) console.log(`${op.operationId}: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`)
  }, 120_000)
})

import { SimInputError } from './input-error.js'
import { jsonErrorOffset } from './json-position.js'

/** A GPU pool of the simulated fleet: `gpuCount` GPUs of `wattsPerGpu` W in `zone`, at `pue`. */
export interface SimPool {
  name: string
  zone: string
  gpuCount: number
  wattsPerGpu: number
  pue: number
}

/**
 * Parses `[{ "name", "zone", "gpuCount", "wattsPerGpu", "pue" }, …]`. A syntax error names the line
 * and column; a bad field names its line and the field (`pools.json line 4, column gpuCount: …`),
 * found by locating the pool's object in the text.
 */
export function parsePoolsJson (text: string, options: { name: string }): SimPool[] {
  const { name } = options
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    const offset = jsonErrorOffset(text)
    const where = offset === undefined ? undefined : lineColumn(text, offset)
    const found = offset === undefined ? '' : offset < text.length ? ` at ${JSON.stringify(text[offset])}` : ' (the text ends early)'
    throw new SimInputError(name, where?.line, where === undefined ? undefined : String(where.column), `not valid JSON${found}`, { cause: err })
  }
  if (!Array.isArray(data) || data.length === 0) throw new SimInputError(name, 1, undefined, 'must be a non-empty JSON array of pools')
  const starts = objectLines(text)
  const names = new Set<string>()
  return data.map((item: unknown, i) => {
    const line = starts[i]
    const bad = (field: string, problem: string) => new SimInputError(name, line, field, `pool ${i + 1}: ${problem}`)
    if (typeof item !== 'object' || item === null) throw bad('(pool)', 'must be an object')
    const o = item as Record<string, unknown>
    const text = (field: string): string => {
      const v = o[field]
      if (typeof v !== 'string' || v === '') throw bad(field, `must be a non-empty string, got ${JSON.stringify(v)}`)
      return v
    }
    const number = (field: string, ok: (x: number) => boolean, rule: string): number => {
      const v = o[field]
      if (typeof v !== 'number' || !ok(v)) throw bad(field, `must be ${rule}, got ${JSON.stringify(v)}`)
      return v
    }
    const pool: SimPool = {
      name: text('name'),
      zone: text('zone'),
      gpuCount: number('gpuCount', x => Number.isInteger(x) && x >= 1, 'a positive integer'),
      wattsPerGpu: number('wattsPerGpu', x => x > 0, 'a number > 0'),
      pue: number('pue', x => x >= 1, 'a number >= 1')
    }
    if (names.has(pool.name)) throw bad('name', `"${pool.name}" is used by an earlier pool`)
    names.add(pool.name)
    return pool
  })
}

function lineColumn (text: string, position: number): { line: number, column: number } {
  const before = text.slice(0, position).split('\n')
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 }
}

/** Line of each top-level array element's opening brace, in order. */
function objectLines (text: string): number[] {
  const lines: number[] = []
  let depth = 0
  let line = 1
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '\n') line++
    if (inString) {
      if (ch === '\\') i++
      else if (ch === '"') inString = false
    } else if (ch === '"') inString = true
    else if (ch === '[' || ch === '{') {
      if (depth === 1) lines.push(line)
      depth++
    } else if (ch === ']' || ch === '}') depth--
  }
  return lines
}

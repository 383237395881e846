import fc from 'fast-check'

/**
 * Arrays nested `depth` deep, as a marker the request's JSON text expands (see `expandDeep`):
 * JSON.stringify and structuredClone themselves overflow the stack at a few thousand levels.
 */
const deep = (depth: number) => `@deep:${depth}@`

/** The JSON `text` with each `deep` marker replaced by its nested arrays. */
export function expandDeep (text: string): string {
  return text.replace(/"@deep:(\d+)@"/g, (_m, n: string) => '['.repeat(Number(n)) + ']'.repeat(Number(n)))
}

/** Strings valid JSON can carry that a store, a terminal or a path may not: lone surrogates, NUL, bidi, traversal. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '\ud800', 'a\udc00b', '\udfff\ud800', '\u0000', 'a\u0000b', '', ' ', '\u202egnp.exe', '\ufeff', '\uffff', '\u{10ffff}',
    '../../etc/passwd', '%00', '%ED%A0%80', '${jndi:ldap://x}', '\'; drop table jobs; --', 'null', 'NaN', '-1', '1e308',
    '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z', '2026-02-30T00:00:00Z', '2026-11-23T10:00:00+14:00', '2026-11-23T10:00:00.123456789Z',
    'a\r\nx-injected: 1', 'label:\ud800'
  ),
  fc.string({ unit: 'binary', maxLength: 16 })
)

/** Numbers at and past every bound a column, a Date or a double has. */
export const hostileNumber: fc.Arbitrary<number> = fc.constantFrom(
  8.64e15, -8.64e15, 8.64e15 + 1, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, -1, -0, 0, 0.5, 1.5,
  2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, -(2 ** 63), 1e21, 44_641, 100_001
)

/** A value that does not belong where it is put: the wrong type, an edge number, a hostile string, depth, length. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(true, false, null, [], {}, [null], { '': '' }, { __proto__: null, constructor: {} }) },
  // Long strings below the 1 MiB body limit (and one above the 64 KiB callback limit).
  { weight: 1, arbitrary: fc.constantFrom(5_000, 70_000, 900_000).map(n => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(64, 1_000, 5_000, 50_000).map(deep) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }
)

/** Keys a handler might trip on when a body has them in addition to the schema's. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'id', 'tenantId', 'state', 'attempt', '', '\ud800', '\u0000', 'x'.repeat(300)),
  fc.string({ maxLength: 8 })
)

/** One change to a JSON value; `at` picks a node (modulo the number of nodes, in depth-first order). */
export type Mutation =
  | { op: 'set', at: number, value: unknown, sameType: { text: string, number: number } | null }
  | { op: 'add', at: number, key: string, value: unknown }
  | { op: 'drop', at: number }

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Mostly a hostile value of the type that was there: it passes the schema's type check and gets further.
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: hostileValue, sameType: fc.option(fc.record({ text: hostileString, number: hostileNumber }), { freq: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: hostileKey, value: hostileValue }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), at: fc.nat() }) }
)

interface Node { value: unknown, parent?: Record<string, unknown> | unknown[], key?: string | number }

function nodes (value: unknown, into: Node[] = [], parent?: Node['parent'], key?: Node['key']): Node[] {
  into.push(parent === undefined ? { value } : { value, parent, key })
  if (Array.isArray(value)) value.forEach((v, i) => nodes(v, into, value, i))
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) nodes(v, into, value as Record<string, unknown>, k)
  }
  return into
}

/** `value` with the mutations applied in order, to a copy; the root is node 0 (a 'set' there replaces the whole). */
export function mutate (value: unknown, mutations: readonly Mutation[]): unknown {
  let root = copy(value)
  for (const m of mutations) {
    const all = nodes(root)
    const node = all[m.at % all.length] as Node
    if (m.op === 'set') {
      // A copy: the constants of `hostileValue` are shared between runs, and a later 'add' writes into it.
      const was = node.value
      const value = m.sameType !== null && typeof was === 'string' ? m.sameType.text
        : m.sameType !== null && typeof was === 'number' ? m.sameType.number
          : copy(m.value)
      if (node.parent === undefined) root = value
      else setIn(node.parent, node.key as string | number, value)
    } else if (m.op === 'add') {
      const target = node.value !== null && typeof node.value === 'object' && !Array.isArray(node.value) ? node.value : root
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) setIn(target as Record<string, unknown>, m.key, copy(m.value))
    } else if (node.parent !== undefined) {
      if (Array.isArray(node.parent)) node.parent.splice(node.key as number, 1)
      else delete node.parent[node.key as string]
    }
  }
  return root
}

const copy = (v: unknown): unknown => v !== null && typeof v === 'object' ? JSON.parse(JSON.stringify(v)) : v

/** Sets an own property even for `__proto__`, as JSON.parse would. */
function setIn (target: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

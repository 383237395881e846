import fc from 'fast-check'
import { expandDeep, hostileString, hostileValue, mutate, mutation } from './hostile.js'
import { arbitraryFor, type JsonSchema, type SchemaContext } from './schema-arbitrary.js'

/** One operation of the OpenAPI document: a path × method. */
export interface Operation {
  method: string
  path: string
  operationId: string
  params: Array<{ in: 'path' | 'query' | 'header', name: string, required: boolean, schema: JsonSchema }>
  body?: JsonSchema
}

/** Every operation of an OpenAPI 3.1 document, in document order. */
export function operationsOf (doc: { paths: Record<string, Record<string, { operationId: string, parameters?: Operation['params'], requestBody?: { content: Record<string, { schema: JsonSchema }> } }>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => {
    const body = op.requestBody?.content['application/json']?.schema
    return { method: method.toUpperCase(), path, operationId: op.operationId, params: op.parameters ?? [], ...(body === undefined ? {} : { body }) }
  }))
}

/** Text already percent-encoded, sent as is: `%zz`, `%FF`, a bare `%`. */
export interface Raw { raw: string }

/** How the request proves who sends it: the fixture's credential for the route, none, or a forged one. */
export type Auth = 'valid' | 'none' | 'forged'

/** A generated request, before the fixture's placeholders (`@run@`, …) are filled in and it is signed. */
export interface FuzzRequest {
  operationId: string
  method: string
  /** Path parameters by name, decoded (encoded when sent) unless Raw. */
  path: Record<string, string | Raw>
  query: Array<[string, string | Raw]>
  headers: Record<string, string>
  /** JSON value (serialised when sent), or exact text / bytes. */
  body?: { json: unknown } | { text: string } | { bytes: number[] }
  contentType?: string
  auth: Auth
}

/** `arb` one time in five, else `otherwise`: each hostile part is rare, so most requests have at most one. */
function rarely<T> (arb: fc.Arbitrary<T>, otherwise: T): fc.Arbitrary<T> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(otherwise) }, { weight: 1, arbitrary: arb })
}

const oddSegment: fc.Arbitrary<string | Raw> = fc.oneof(
  hostileString,
  fc.constantFrom<Raw>({ raw: '%' }, { raw: '%zz' }, { raw: '%FF' }, { raw: '%ED%A0%80' }, { raw: '..' }, { raw: '%2e%2e%2f%2e%2e' }, { raw: 'a;b=c' }),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 'x'.repeat(3000))
)

const headerText = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).map(s => s.replace(/[^\x20-\x7e]/g, '')),
  fc.constantFrom('x'.repeat(8000), '\u00ff\u00e9', 'gzip', 'deflate', '100-continue', 'bytes=0-1', '*/*', '0', '-1', 'null')
)

const extraHeaders = fc.dictionary(
  fc.constantFrom('idempotency-key', 'x-forwarded-for', 'x-forwarded-proto', 'accept', 'accept-encoding', 'content-encoding', 'x-http-method-override', 'origin', 'cookie', 'range', 'if-none-match', 'expect', 'x-request-id'),
  headerText, { maxKeys: 3 }
)

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/problem+json', '') }
)

/** Bodies that are not JSON of any shape: broken syntax, invalid UTF-8, a byte-order mark. */
const brokenBody = fc.oneof(
  fc.constantFrom<{ text: string }>({ text: '' }, { text: '{' }, { text: '{"a":' }, { text: '[' + '1,'.repeat(10) }, { text: 'null' }, { text: '"\\ud800"' }, { text: '{"a":1}{"a":2}' }, { text: '{"__proto__":{"x":1}}' }, { text: '\ufeff{}' }),
  fc.constantFrom<{ bytes: number[] }>({ bytes: [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d] }, { bytes: [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d] }, { bytes: [0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d] })
)

const auth: fc.Arbitrary<Auth> = fc.oneof({ weight: 18, arbitrary: fc.constant('valid' as const) }, { weight: 1, arbitrary: fc.constantFrom('none' as const, 'forged' as const) })

/** A request to `op`: valid-looking parts from the schema, each often made hostile; `cursor` adds forged cursors. */
export function requestFor (op: Operation, ctx: SchemaContext, extraValues: { cursor: fc.Arbitrary<string> }): fc.Arbitrary<FuzzRequest> {
  const param = (p: Operation['params'][number]) => fc.oneof(
    { weight: 6, arbitrary: arbitraryFor(p.schema, ctx, p.name).map(v => String(v)) },
    { weight: p.name === 'cursor' ? 3 : 0, arbitrary: extraValues.cursor },
    { weight: 1, arbitrary: oddSegment }
  )
  const path = fc.record(Object.fromEntries(op.params.filter(p => p.in === 'path').map(p => [p.name, param(p)])))
  const query = fc.tuple(
    ...op.params.filter(p => p.in === 'query').map(p => {
      const pair = param(p).map(v => [p.name, v] as [string, string | Raw])
      // Sometimes given twice, which arrives as an array.
      return fc.option(fc.oneof({ weight: 8, arbitrary: pair.map(v => [v]) }, { weight: 1, arbitrary: fc.array(pair, { minLength: 2, maxLength: 2 }) }), { freq: 3 })
    })
  ).chain(declared => rarely(fc.array(fc.tuple(fc.constantFrom('x', 'limit', 'cursor', '__proto__', 'from', ''), oddSegment), { minLength: 1, maxLength: 2 }), [])
    .map(extra => [...declared.flatMap(d => d ?? []), ...extra]))
  const headerFor = (p: Operation['params'][number]) => fc.oneof(
    { weight: 3, arbitrary: arbitraryFor(p.schema, ctx, p.name).map(v => String(v).replace(/[^\x20-\x7e]/g, '')) },
    { weight: 1, arbitrary: headerText }
  )
  const declaredHeaders = fc.record(Object.fromEntries(op.params.filter(p => p.in === 'header').map(p => [p.name, headerFor(p)])), { requiredKeys: [] })
  const headers = fc.tuple(declaredHeaders, rarely(extraHeaders, {})).map(([a, b]) => ({ ...b, ...a }) as Record<string, string>)
  const body = op.body === undefined
    ? fc.option(fc.oneof(brokenBody, hostileValue.map(json => ({ json }))), { freq: 8, nil: undefined })
    : fc.oneof(
      { weight: 5, arbitrary: arbitraryFor(op.body, ctx).map(json => ({ json })) },
      { weight: 6, arbitrary: fc.tuple(arbitraryFor(op.body, ctx), fc.oneof({ weight: 3, arbitrary: mutation.map(m => [m]) }, { weight: 1, arbitrary: fc.array(mutation, { minLength: 2, maxLength: 3 }) })).map(([v, ms]) => ({ json: mutate(v, ms) })) },
      { weight: 1, arbitrary: brokenBody }
    )
  return fc.record({ path, query, headers, body, contentType, auth }).map(r => {
    const req: FuzzRequest = { operationId: op.operationId, method: op.method, path: r.path, query: r.query, headers: r.headers, auth: r.auth }
    if (r.body !== undefined) {
      req.body = r.body
      req.contentType = r.contentType
    }
    return Object.assign(req, { [fc.toStringMethod]: () => describeRequest(req) })
  })
}

/**
 * `s` percent-encoded as a client that does not care would: code points as UTF-8, lone surrogates
 * as the three bytes WTF-8 gives them (encodeURIComponent would throw).
 */
export function encodeLoose (s: string): string {
  let out = ''
  for (const ch of s) {
    if (/^[A-Za-z0-9_.~-]$/.test(ch)) { out += ch; continue }
    const cp = ch.codePointAt(0) as number
    const bytes = cp >= 0xd800 && cp <= 0xdfff
      ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
      : [...Buffer.from(ch, 'utf8')]
    out += bytes.map(b => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('')
  }
  return out
}

const encoded = (v: string | Raw, fill: (s: string) => string) => typeof v === 'string' ? encodeLoose(fill(v)) : v.raw

/** The URL of `req` against the `template` path, placeholders filled by `fill`. */
export function urlOf (template: string, req: FuzzRequest, fill: (s: string) => string): string {
  const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encoded(req.path[name] ?? '', fill))
  const query = req.query.map(([k, v]) => `${encodeLoose(k)}=${encoded(v, fill)}`).join('&')
  return query === '' ? path : `${path}?${query}`
}

/** The body as sent: JSON text (deep markers expanded), exact text, or bytes. */
export function payloadOf (req: FuzzRequest, fill: (s: string) => string): string | Buffer | undefined {
  if (req.body === undefined) return undefined
  if ('bytes' in req.body) return Buffer.from(req.body.bytes)
  if ('text' in req.body) return req.body.text
  return expandDeep(fill(JSON.stringify(req.body.json) ?? ''))
}

/** A short, readable account of `req` for a counterexample: long strings are cut to their length. */
export function describeRequest (req: FuzzRequest): string {
  const cut = (_k: string, v: unknown) => typeof v === 'string' && v.length > 80 ? `${v.slice(0, 40)}…(${v.length} chars)` : v
  const show = (v: unknown) => JSON.stringify(v, cut)
  const body = req.body === undefined ? '' : ` content-type=${show(req.contentType)} body=${show(req.body)}`
  return `${req.operationId}: ${req.method} path=${show(req.path)} query=${show(req.query)} headers=${show(req.headers)} auth=${req.auth}${body}`
}

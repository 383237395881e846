import fc from 'fast-check'

/** The part of JSON Schema the OpenAPI document uses (TypeBox output). */
export interface JsonSchema {
  type?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  items?: JsonSchema
  anyOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  minProperties?: number
  maxProperties?: number
}

/**
 * What the fuzzer knows beyond the schema. A schema says `format: uuid`; only the fixture knows
 * which uuids name a job that exists, and a request that never names one stops at the 404.
 */
export interface SchemaContext {
  /** The clock the app runs at: valid-looking instants lie around it. */
  now: number
  /** Values a property (or parameter) of this name takes most of the time. */
  hints: Record<string, readonly unknown[]>
  /** Arbitraries that replace the schema for a property of this name, always present (e.g. a long-poll that must not wait). */
  fixed: Record<string, fc.Arbitrary<unknown>>
}

const DAY = 86_400_000
/** 0000-01-01 and 10000-01-01 UTC: the instants an RFC 3339 date-time can write. */
const YEAR_0 = -62_167_219_200_000
const YEAR_10000 = 253_402_300_800_000
const ABSENT = Symbol('absent')
/** Strings and arrays stay short: the hostile mutations bring the long ones. */
const SHORT = 24
const FEW = 4

/** An arbitrary of values that satisfy `schema` (the hostile ones come from mutating these). */
export function arbitraryFor (schema: JsonSchema, ctx: SchemaContext, name?: string): fc.Arbitrary<unknown> {
  if (name !== undefined) {
    const fixed = ctx.fixed[name]
    if (fixed !== undefined) return fixed
    const hint = ctx.hints[name]
    if (hint !== undefined && hint.length > 0) {
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...hint) }, { weight: 1, arbitrary: fromSchema(schema, ctx) })
    }
  }
  return fromSchema(schema, ctx)
}

function fromSchema (schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<unknown> {
  if (schema.anyOf !== undefined) return fc.oneof(...schema.anyOf.map(s => fromSchema(s, ctx)))
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum)
  if (schema.const !== undefined) return fc.constant(schema.const)
  switch (schema.type) {
    case 'null': return fc.constant(null)
    case 'boolean': return fc.boolean()
    case 'string': return stringFor(schema, ctx)
    case 'integer': return numberFor(schema, true)
    case 'number': return numberFor(schema, false)
    case 'array': return arrayFor(schema, ctx)
    case 'object': return objectFor(schema, ctx)
    default: return fc.jsonValue({ maxDepth: 3 })
  }
}

function stringFor (schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? SHORT, SHORT))
  if (schema.format === 'date-time') return instant(ctx.now)
  if (schema.format === 'uuid') return fc.uuid()
  if (schema.format === 'uri') return fc.oneof(fc.constant('http://127.0.0.1:9/hook'), fc.webUrl({ validSchemes: ['http', 'https'] }))
  if (schema.pattern !== undefined) {
    const upTo = schema.maxLength ?? Infinity
    return fc.stringMatching(new RegExp(schema.pattern)).filter(s => s.length >= minLength && s.length <= upTo)
  }
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme-ascii' }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }) }
  )
}

/** Mostly within 60 days of now, sometimes anywhere a 4-digit year reaches. */
function instant (now: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: now - 60 * DAY, max: now + 60 * DAY }) },
    { weight: 1, arbitrary: fc.integer({ min: YEAR_0, max: YEAR_10000 - 1 }) }
  ).map(ms => new Date(ms).toISOString())
}

function numberFor (schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? schema.exclusiveMinimum ?? -1e9
  const max = schema.maximum ?? schema.exclusiveMaximum ?? 1e9
  if (integer) {
    const lo = Math.ceil(schema.exclusiveMinimum === undefined ? min : min + 1)
    const hi = Math.floor(schema.exclusiveMaximum === undefined ? max : max - 1)
    return fc.oneof(fc.integer({ min: lo, max: Math.min(hi, lo + 10) }), fc.integer({ min: lo, max: hi }))
  }
  return fc.double({ min, max, minExcluded: schema.exclusiveMinimum !== undefined, maxExcluded: schema.exclusiveMaximum !== undefined, noNaN: true })
}

function arrayFor (schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<unknown[]> {
  const items = fromSchema(schema.items ?? {}, ctx)
  const minLength = schema.minItems ?? 0
  const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? FEW, FEW))
  if (schema.uniqueItems === true) return fc.uniqueArray(items, { minLength, maxLength, selector: v => JSON.stringify(v) })
  return fc.array(items, { minLength, maxLength })
}

function objectFor (schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<Record<string, unknown>> {
  const required = new Set(schema.required ?? [])
  // An optional property is there one time in three: bodies with all of them mostly ask for
  // things that exclude each other (pools and zones, command and payload) and stop at that 400.
  const entries = Object.entries(schema.properties ?? {}).map(([key, s]) => {
    const value = arbitraryFor(s, ctx, key)
    return [key, required.has(key) || key in ctx.fixed ? value : fc.oneof({ weight: 2, arbitrary: fc.constant(ABSENT) }, { weight: 1, arbitrary: value })] as const
  })
  const record = fc.record(Object.fromEntries(entries)).map(r => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== ABSENT)))
  const extra = schema.additionalProperties
  if (typeof extra !== 'object') return record
  // A map such as `labels`: keys shaped like label keys, values from the schema.
  const map = fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_.:/-]{1,20}$/), fromSchema(extra, ctx), {
    minKeys: schema.minProperties ?? 0, maxKeys: Math.min(schema.maxProperties ?? FEW, FEW)
  })
  return fc.tuple(record, map).map(([known, more]) => ({ ...more, ...known }))
}

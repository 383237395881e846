import { expect, test } from 'vitest'
import { oncePerSchema, serializerCompiler } from '../../src/http/schema-cache.js'

test('a schema is compiled once per distinct JSON, whichever object carries it', () => {
  const seen: object[] = []
  const compile = oncePerSchema(schema => { seen.push(schema); return seen.length })
  const a = { type: 'object', properties: { gpus: { type: 'integer' } } }
  expect(compile(a)).toBe(1)
  expect(compile(structuredClone(a))).toBe(1)
  expect(compile({ type: 'object', properties: { gpus: { type: 'number' } } })).toBe(2)
  expect(seen).toHaveLength(2)
})

test('the shared serializer writes what the schema allows, as fast-json-stringify does', () => {
  const schema = { type: 'object', properties: { name: { type: 'string' }, gpus: { type: 'integer' } } }
  const write = serializerCompiler({ schema })
  expect(serializerCompiler({ schema: structuredClone(schema) })).toBe(write)
  expect(write({ name: 'x', gpus: 2, secret: 'kept out' })).toBe('{"name":"x","gpus":2}')
})

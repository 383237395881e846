import { Ajv, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../errors.js'
import { oncePerSchema } from './schema-cache.js'

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

const COMMON: Options = { allErrors: true, useDefaults: true, removeAdditional: false, strict: false }

const strictAjv = addFormats(new Ajv({ ...COMMON, coerceTypes: false }))
const lenientAjv = addFormats(new Ajv({ ...COMMON, coerceTypes: 'array' }))
const strict = oncePerSchema(schema => strictAjv.compile(schema))
const lenient = oncePerSchema(schema => lenientAjv.compile(schema))

/**
 * Bodies are validated without type coercion: `"gpus": true` or `"command": "python x.py"` are
 * errors, not silently 1 or a one-element argv. Query strings and params arrive as text and are
 * coerced (`?limit=10`).
 */
export function installValidation (app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient)(schema))
  // PostgreSQL text cannot hold NUL (U+0000): refuse it at the edge rather than fail in the store.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string
    if (text.includes('\\u0000')) {
      done(new ApiError(400, 'invalid-body', 'JSON strings may not contain NUL (\\u0000)', [{ field: 'body', message: 'contains \\u0000' }]), undefined)
      return
    }
    try {
      // A reviver costs a call per key: only bodies that name __proto__ (escaped or not) pay for it.
      const risky = text.includes('__proto__') || text.includes('\\u')
      done(null, text === '' ? undefined : risky ? JSON.parse(text, (key, value: unknown) => key === '__proto__' ? undefined : value) : JSON.parse(text))
    } catch (err) {
      done(new ApiError(400, 'invalid-body', `body is not valid JSON: ${(err as Error).message}`, [{ field: 'body', message: 'is not valid JSON' }]), undefined)
    }
  })
}

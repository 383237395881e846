import fastJsonStringify from 'fast-json-stringify'

/**
 * Wraps a schema compiler so that each distinct schema, by its JSON, is compiled once per process.
 * What a compiled validator or serializer does depends only on the schema's JSON and the
 * compiler's options. Compiling every route's schemas again took 60–150 ms per app, about half the
 * CPU of the test files, which build an app per test.
 */
export function oncePerSchema<F> (compile: (schema: object) => F): (schema: object) => F {
  const compiled = new Map<string, F>()
  return schema => {
    const key = JSON.stringify(schema)
    let fn = compiled.get(key)
    if (fn === undefined) {
      fn = compile(schema)
      compiled.set(key, fn)
    }
    return fn
  }
}

const serializer = oncePerSchema(schema => fastJsonStringify(schema))

/** Fastify's default response serializer (fast-json-stringify, no shared schemas), compiled once per schema. */
export function serializerCompiler ({ schema }: { schema: unknown }): (data: unknown) => string {
  return serializer(schema as object)
}

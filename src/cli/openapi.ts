import { httpLimits } from '../config-limits.js'
import { buildApp, type AppDeps } from '../http/app.js'

/**
 * The OpenAPI document generated from the routes' TypeBox schemas. The app is built with inert
 * dependencies: routes only touch them when a request arrives, and none does here.
 */
export async function openapiDocument (): Promise<string> {
  const untouchable = (): never => { throw new Error('openapi generation must not touch dependencies') }
  const inert = new Proxy({}, { get: untouchable })
  // The edge's limits shape the server, not the document: the defaults do.
  const limits = httpLimits([], () => undefined)
  const config = new Proxy({}, { get: (_target, key) => key === 'limits' ? limits : untouchable() })
  const deps = { store: inert, config, providers: new Map(), zoneStatus: new Map(), log: inert, now: Date.now, ready: () => false } as unknown as AppDeps
  const app = await buildApp(deps)
  await app.ready()
  const doc = JSON.stringify(app.swagger(), null, 2) + '\n'
  await app.close()
  return doc
}

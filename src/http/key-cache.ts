import { performance } from 'node:perf_hooks'
import { findApiKey, hashApiKey, type ApiKeyPrincipal } from '../store/api-keys.js'
import type { Store } from '../store/db.js'
import { perStore } from '../store/per-store.js'

/**
 * How long a process trusts a key it has looked up, and the tenant's home pool read with it: a key
 * revoked (or a home pool changed) through another replica is seen here within this; through this
 * one, at once (`forgetKeys`).
 */
export const KEY_CACHE_MS = 5_000
/** Past this many remembered keys the memory starts over: bounded whatever callers send. */
const MAX_KEYS = 10_000

interface Remembered { principal: ApiKeyPrincipal, at: number }

const caches = perStore(() => new Map<string, Remembered>())

/**
 * The principal of a plaintext key: from memory when looked up within `KEY_CACHE_MS`, else from
 * the database. Unknown and revoked keys are never remembered, so they cost a lookup each time.
 */
export async function lookUpKey (store: Store, plaintext: string, clock: () => number = () => performance.now()): Promise<ApiKeyPrincipal | undefined> {
  const cache = caches.of(store)
  // Remembered by hash: the process's memory never holds a list of plaintext keys.
  const id = hashApiKey(plaintext)
  const hit = cache.get(id)
  if (hit !== undefined && clock() - hit.at < KEY_CACHE_MS) return hit.principal
  const principal = await findApiKey(store.db, plaintext)
  if (principal === undefined) {
    cache.delete(id)
    return undefined
  }
  if (cache.size >= MAX_KEYS) cache.clear()
  cache.set(id, { principal, at: clock() })
  return principal
}

/** Forgets every key remembered for a store: after a revocation, or a change of a tenant's home pool, through this process. */
export function forgetKeys (store: Store): void {
  caches.forget(store)
}

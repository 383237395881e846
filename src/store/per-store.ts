import type { Store } from './db.js'

/**
 * Memory a process keeps about one database, made on first use per store and dropped with it: a
 * test's fresh store, or a second store on the same database (another "replica"), starts empty.
 */
export function perStore<T> (create: (store: Store) => T): { of: (store: Store) => T, forget: (store: Store) => void } {
  const kept = new WeakMap<Store, T>()
  return {
    of: store => {
      let value = kept.get(store)
      if (value === undefined) {
        value = create(store)
        kept.set(store, value)
      }
      return value
    },
    forget: store => { kept.delete(store) }
  }
}

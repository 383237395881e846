import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SimInputError } from '../../src/sim/input-error.js'

/** Absolute path of a file in test/fixtures/sim. */
export function fixturePath (name: string): string {
  return fileURLToPath(new URL(`../fixtures/sim/${name}`, import.meta.url))
}

/** Text of a file in test/fixtures/sim. */
export function fixture (name: string): string {
  return readFileSync(fixturePath(name), 'utf8')
}

/** The `SimInputError` that `fn` throws (fails the test if it throws nothing or something else). */
export function inputError (fn: () => unknown): SimInputError {
  try {
    fn()
  } catch (err) {
    if (err instanceof SimInputError) return err
    throw err
  }
  throw new Error('expected a SimInputError')
}

/** 2024-03-04 00:00 UTC, a Monday: the fixtures count from here. */
export const T0 = Date.UTC(2024, 2, 4)
export const MIN = 60_000
export const HOUR = 3_600_000

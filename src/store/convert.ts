import type { Instant } from '../core/types.js'

/**
 * JSON text for a jsonb parameter, or SQL NULL for null/undefined. Always stringify: `pg` sends a
 * JS array as a PostgreSQL array literal, which jsonb rejects.
 */
export function toJson (value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value)
}

/** JSON text for a jsonb column that is never NULL. */
export function toJsonText (value: unknown): string {
  return JSON.stringify(value ?? null)
}

/** A timestamptz value as epoch milliseconds. */
export function toInstant (date: Date): Instant {
  return date.getTime()
}

/** A nullable timestamptz value as epoch milliseconds. */
export function toInstantOrNull (date: Date | null): Instant | null {
  return date === null ? null : date.getTime()
}

/** An epoch-millisecond instant as a `Date` parameter. */
export function toDate (instant: Instant): Date {
  return new Date(instant)
}

/** A nullable instant as a `Date` parameter. */
export function toDateOrNull (instant: Instant | null): Date | null {
  return instant === null ? null : new Date(instant)
}

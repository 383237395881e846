/**
 * Checks on an untrusted JSON document (a config file, a provider's response) that record every
 * problem with the path of the offending value, e.g. `pools[2].gpuCount must be a positive integer`,
 * instead of stopping at the first. Callers read the values back with safe placeholders ('' or NaN)
 * and throw once if `issues` is not empty.
 */

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>

/** A numeric range and the words that state it in an issue. */
export interface NumberRule {
  min: number
  max: number
  integer: boolean
  rule: string
}

/** Collects issues about one JSON document, each prefixed with where the document came from. */
export class JsonChecker {
  readonly issues: string[]
  private readonly prefix: string

  constructor (prefix: string, issues: string[] = []) {
    this.prefix = prefix
    this.issues = issues
  }

  fail (path: string, problem: string): void {
    this.issues.push(`${this.prefix}: ${path} ${problem}`)
  }

  /** The value as an object whose keys all appear in `keys` (any keys when omitted), else undefined. */
  object (value: unknown, path: string, keys?: readonly string[]): JsonObject | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, value === undefined ? 'is required' : 'must be a JSON object')
      return undefined
    }
    for (const key of Object.keys(value)) {
      if (keys !== undefined && !keys.includes(key)) this.fail(`${path}.${key}`, `is not a known key (expected ${keys.join(', ')})`)
    }
    return value as JsonObject
  }

  /** A required non-blank string; '' when it is not one. */
  text (o: JsonObject, key: string, path: string): string {
    const value = o[key]
    if (typeof value !== 'string' || value.trim() === '') this.fail(`${path}.${key}`, value === undefined ? 'is required' : 'must be a non-empty string')
    return typeof value === 'string' ? value : ''
  }

  /** A number within `r`; `fallback` stands in for a missing key; NaN when it is not a number. */
  number (o: JsonObject, key: string, path: string, r: NumberRule, fallback?: number): number {
    const value = o[key] ?? fallback
    const ok = typeof value === 'number' && value >= r.min && value <= r.max && (!r.integer || Number.isInteger(value))
    if (!ok) this.fail(`${path}.${key}`, value === undefined ? 'is required' : r.rule)
    return typeof value === 'number' ? value : Number.NaN
  }

  /** One of `options`, else undefined. */
  choice<T extends string> (o: JsonObject, key: string, path: string, options: readonly T[]): T | undefined {
    const found = options.find(option => option === o[key])
    if (found === undefined) this.fail(`${path}.${key}`, `must be one of ${options.map(x => `"${x}"`).join(', ')}`)
    return found
  }

  /** An absolute http(s) URL. */
  url (o: JsonObject, key: string, path: string): string {
    const value = this.text(o, key, path)
    const protocol = URL.canParse(value) ? new URL(value).protocol : ''
    if (value !== '' && protocol !== 'http:' && protocol !== 'https:') this.fail(`${path}.${key}`, 'must be an absolute http:// or https:// URL')
    return value
  }
}

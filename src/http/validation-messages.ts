import type { FieldProblem } from '../errors.js'

/** One of Ajv's errors, as fastify hands it over. */
export interface AjvIssue {
  keyword: string
  instancePath: string
  schemaPath?: string
  params: Record<string, unknown>
  message?: string
}

const list = (values: unknown[]) => values.map(v => JSON.stringify(v)).join(', ')

/** What a format asks for, said so that a client can fix the value. */
const FORMATS: Record<string, string> = {
  'date-time': 'must be an RFC 3339 date-time with a UTC offset, such as 2026-12-04T09:00:00Z or 2026-12-04T10:00:00+01:00',
  date: 'must be a date, such as 2026-12-04',
  uri: 'must be an absolute URI, such as https://example.com/hook'
}

/**
 * Ajv's errors as field problems a client can act on. A union of constants (TypeBox's enums) fails
 * as one "must be equal to constant" per member and an anyOf: they become one "must be one of …"
 * listing the allowed values, as does `enum`. Formats say what they take, with an example.
 */
export function problemsOf (issues: readonly AjvIssue[], fieldOf: (issue: AjvIssue) => string): FieldProblem[] {
  const allowed = new Map<string, unknown[]>()
  for (const issue of issues) {
    if (issue.keyword !== 'const') continue
    const key = issue.instancePath
    allowed.set(key, [...(allowed.get(key) ?? []), issue.params.allowedValue])
  }
  const problems: FieldProblem[] = []
  const seen = new Set<string>()
  for (const issue of issues) {
    const union = allowed.get(issue.instancePath)
    if (union !== undefined && (issue.keyword === 'const' || issue.keyword === 'anyOf')) {
      if (seen.has(issue.instancePath)) continue
      seen.add(issue.instancePath)
      problems.push({ field: fieldOf(issue), message: `must be one of ${list(union)}` })
      continue
    }
    const problem = { field: fieldOf(issue), message: messageOf(issue) }
    // A value that fails each branch of a union the same way ("must be string" for a repeated query parameter) says so once.
    if (!problems.some(p => p.field === problem.field && p.message === problem.message)) problems.push(problem)
  }
  return problems
}

function messageOf (issue: AjvIssue): string {
  switch (issue.keyword) {
    case 'additionalProperties': return 'is not a known field'
    case 'required': return 'is required'
    case 'enum': return `must be one of ${list(issue.params.allowedValues as unknown[])}`
    case 'format': return FORMATS[String(issue.params.format)] ?? issue.message ?? 'is invalid'
    default: return issue.message ?? 'is invalid'
  }
}

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
export function problemsOf (all: readonly AjvIssue[], fieldOf: (issue: AjvIssue) => string): FieldProblem[] {
  const issues = withoutOtherBranches(all)
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

/**
 * A union of objects told apart by a constant field (an executor's `kind`) fails on every branch:
 * reporting each branch's missing fields would list what other kinds need. When the constant
 * matches a branch, only that branch's errors are kept; when it matches none, only the constant's
 * ("kind must be one of …").
 */
function withoutOtherBranches (issues: readonly AjvIssue[]): AjvIssue[] {
  let kept = [...issues]
  for (const union of issues.filter(i => i.keyword === 'anyOf' && i.schemaPath !== undefined)) {
    const prefix = `${union.schemaPath as string}/`
    const branchOf = (i: AjvIssue) => i.schemaPath?.startsWith(prefix) === true ? i.schemaPath.slice(prefix.length).split('/')[0] : undefined
    const branches = new Set(kept.map(branchOf).filter(b => b !== undefined))
    const child = new RegExp(`^${union.instancePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[^/]+$`)
    // A discriminator is one constant a branch puts on a property (`kind: 'webhook'`), not a union of them (an enum in a branch).
    const discriminates = (i: AjvIssue) => i.keyword === 'const' && child.test(i.instancePath) && /^\d+\/properties\/[^/]+\/const$/.test(i.schemaPath?.slice(prefix.length) ?? '')
    const refused = new Set(kept.filter(discriminates).map(branchOf).filter(b => b !== undefined))
    if (refused.size === 0) continue
    const matching = [...branches].filter(b => !refused.has(b))
    kept = kept.filter(i => {
      if (i === union) return false
      const b = branchOf(i)
      if (b === undefined) return true
      return matching.length > 0 ? matching.includes(b) : discriminates(i)
    })
  }
  return kept
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

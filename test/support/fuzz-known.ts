import type { FuzzRequest } from './fuzz-request.js'

/**
 * Bugs found on main that other branches fix, by the requests that run into them. The fuzz test
 * sends these too unless FUZZ_KNOWN=0; delete an entry once its fix is merged (the test then
 * holds the fix in place). The lone surrogates and out-of-range cursors of issue 10 (5) were
 * entries here until branch edges was merged.
 */
const KNOWN: Array<{ name: string, matches: (req: FuzzRequest) => boolean }> = [
  // None now. Issue 10's implausible reports were the last entry until branch plausible was merged.
]

/** The name of the known bug `req` runs into, or undefined. */
export function knownIssue (req: FuzzRequest): string | undefined {
  return KNOWN.find(k => k.matches(req))?.name
}

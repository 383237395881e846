/**
 * A simulation input file that cannot be used, located as precisely as the file allows:
 * `jobs.csv line 12, column deadline_utc: "x" is not an ISO 8601 instant`. `line` is 1-based.
 */
export class SimInputError extends Error {
  readonly code = 'SIM_INPUT'
  readonly file: string
  readonly line: number | undefined
  readonly column: string | undefined

  constructor (file: string, line: number | undefined, column: string | undefined, problem: string, options?: ErrorOptions) {
    const where = line === undefined ? file : `${file} line ${line}${column === undefined ? '' : `, column ${column}`}`
    super(`${where}: ${problem}`, options)
    this.name = 'SimInputError'
    this.file = file
    this.line = line
    this.column = column
  }
}

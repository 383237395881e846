/**
 * Offset of the first JSON syntax error in `text`, or undefined when it is valid JSON. Node 20's
 * `JSON.parse` messages carry no position ("Unexpected token ']', … is not valid JSON"), and a
 * user's pools file deserves a line and column.
 */
export function jsonErrorOffset (text: string): number | undefined {
  const s = new Scanner(text)
  try {
    s.value()
    s.space()
    if (s.i < text.length) return s.i
    return undefined
  } catch (err) {
    if (err instanceof SyntaxAt) return err.offset
    throw err
  }
}

class SyntaxAt extends Error {
  constructor (readonly offset: number) {
    super(`JSON syntax error at ${offset}`)
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y

class Scanner {
  i = 0
  constructor (private readonly text: string) {}

  space (): void {
    while (/[ \t\r\n]/.test(this.text[this.i] ?? '')) this.i++
  }

  value (): void {
    this.space()
    const ch = this.text[this.i]
    if (ch === '{') return this.sequence('}', () => { this.string(); this.space(); this.expect(':'); this.value() })
    if (ch === '[') return this.sequence(']', () => this.value())
    if (ch === '"') return this.string()
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.i)) { this.i += word.length; return }
    }
    this.token(NUMBER)
  }

  /** `open item (, item)* close` or `open close`, the opening character at `i`. */
  private sequence (close: string, item: () => void): void {
    this.i++
    this.space()
    if (this.text[this.i] === close) { this.i++; return }
    for (;;) {
      this.space()
      item()
      this.space()
      if (this.text[this.i] === ',') { this.i++; continue }
      this.expect(close)
      return
    }
  }

  /** A string: no raw control character below U+0020, only JSON's escapes. */
  private string (): void {
    this.expect('"')
    for (;;) {
      const ch = this.text[this.i]
      if (ch === undefined || ch.charCodeAt(0) < 0x20) throw new SyntaxAt(this.i)
      if (ch === '"') { this.i++; return }
      if (ch === '\\') this.token(ESCAPE)
      else this.i++
    }
  }

  private expect (ch: string): void {
    if (this.text[this.i] !== ch) throw new SyntaxAt(this.i)
    this.i++
  }

  private token (re: RegExp): void {
    re.lastIndex = this.i
    const m = re.exec(this.text)
    if (m === null) throw new SyntaxAt(this.i)
    this.i += m[0].length
  }
}

/**
 * Records of a CSV text (RFC 4180): fields separated by commas, a field in double quotes may hold
 * commas, line breaks and doubled quotes (""), records end with LF or CRLF. Each record comes with
 * the line it starts on, for messages. A last empty line is no record. Throws on a quote left open.
 */
export function parseCsv (text: string): Array<{ line: number, fields: string[] }> {
  const records: Array<{ line: number, fields: string[] }> = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let start = 1
  const endField = () => { fields.push(field); field = '' }
  const endRecord = () => {
    endField()
    if (fields.length > 1 || fields[0] !== '') records.push({ line: start, fields })
    fields = []
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++ } else if (c === '"') quoted = false
      else { field += c; if (c === '\n') line++ }
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') endField()
    else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++
      endRecord()
      line++
      start = line
    } else field += c
  }
  if (quoted) throw new Error(`a quoted field opened on line ${start} is never closed`)
  if (field !== '' || fields.length > 0) endRecord()
  return records
}

export interface PropertyEntry {
  readonly key: string
  readonly value: string
  readonly line: number
}

/**
 * The subset of java.util.Properties syntax found in Kafka's server.properties:
 * `#`/`!` comments, `=`/`:`/whitespace separators, backslash continuations and
 * escapes. Later duplicates win, as in Java.
 */
export function parseProperties (text: string): PropertyEntry[] {
  const lines = text.split(/\r\n|\r|\n/)
  const out: PropertyEntry[] = []
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1
    let logical = lines[i].replace(/^[ \t\f]+/, '')
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, '')
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1)
    const { key, value } = splitKeyValue(logical)
    out.push({ key: unescape(key), value: unescape(value), line: startLine })
  }
  return out
}

function endsWithContinuation (s: string): boolean {
  let n = 0
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++
  return n % 2 === 1
}

function splitKeyValue (s: string): { key: string, value: string } {
  let i = 0
  while (i < s.length) {
    const c = s[i]
    if (c === '\\') { i += 2; continue }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break
    i++
  }
  const key = s.slice(0, i)
  let rest = s.slice(i).replace(/^[ \t\f]+/, '')
  if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]+/, '')
  // Java keeps trailing spaces; operators never mean them, and they break numbers.
  return { key, value: rest.replace(/[ \t\f]+$/, '') }
}

function unescape (s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16))
    switch (e) {
      case 't': return '\t'
      case 'n': return '\n'
      case 'r': return '\r'
      case 'f': return '\f'
      default: return e
    }
  })
}

// Kafka's `ssl.principal.mapping.rules` (SslPrincipalMapper): a client certificate's
// subject, as an RFC 2253 distinguished name ("CN=alice,OU=eng,O=Acme"), becomes the user
// name through the first rule that matches it whole. DEFAULT keeps the name as it is;
// RULE:pattern/replacement/[LU] rewrites it (regex, $1 back-references, optional lower-
// or upper-casing). No rule matching is an authentication failure, as in Kafka.

const RULE_PATTERN = String.raw`(DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?).*?|(.*?)`
const SPLITTER = new RegExp(String.raw`\s*(` + RULE_PATTERN + String.raw`)\s*(?:,\s*|$)`, 'y')
const PARSER = new RegExp('^(?:' + RULE_PATTERN + ')$')

interface Rule {
  pattern: RegExp | null
  replacement: string
  lower: boolean
  upper: boolean
}

export class PrincipalMapper {
  private readonly rules: Rule[]

  /** Throws an Error naming the rule that does not parse. */
  constructor(rules: string) {
    this.rules = []
    const text = rules.trim()
    SPLITTER.lastIndex = 0
    while (SPLITTER.lastIndex < text.length) {
      const start = SPLITTER.lastIndex
      const m = SPLITTER.exec(text)
      if (m === null || SPLITTER.lastIndex === start) throw new Error(`Invalid rule: ${text.slice(start)}`)
      const rule = m[1]
      if (rule === '') continue
      const p = PARSER.exec(rule)
      if (p === null || p[5] !== undefined && p[5] !== '') throw new Error(`Invalid rule: ${rule}`)
      if (p[1] !== undefined) this.rules.push({ pattern: null, replacement: '', lower: false, upper: false })
      else this.rules.push({ pattern: new RegExp(p[2]), replacement: p[3], lower: p[4] === 'L', upper: p[4] === 'U' })
    }
    if (this.rules.length === 0) throw new Error('Invalid rule: no rules')
  }

  /** The user name for `dn`, or null when no rule applies. */
  map(dn: string): string | null {
    for (const r of this.rules) {
      if (r.pattern === null) return dn
      const whole = new RegExp(`^(?:${r.pattern.source})$`)
      if (!whole.test(dn)) continue
      let name = dn.replace(r.pattern, r.replacement)
      if (r.lower) name = name.toLowerCase()
      else if (r.upper) name = name.toUpperCase()
      return name
    }
    return null
  }
}

/**
 * The RFC 2253 form of a certificate subject as Java's X500Principal.getName() gives it:
 * most specific RDN first, comma-separated. Node's X509Certificate.subject lists RDNs
 * one per line, least specific first.
 */
export function rfc2253(subject: string): string {
  return subject.split('\n').filter((l) => l !== '').reverse().map((rdn) => {
    const eq = rdn.indexOf('=')
    if (eq < 0) return rdn
    const value = rdn.slice(eq + 1).replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ')
    return `${rdn.slice(0, eq)}=${value}`
  }).join(',')
}

// Kafka's default OAUTHBEARER validator, OAuthBearerUnsecuredValidatorCallbackHandler: for
// development only. The token is an unsecured JWS (alg "none", empty signature), so anyone
// can mint one for any principal. Checks, in Kafka's order: the principal claim
// (unsecuredValidatorPrincipalClaimName, default `sub`) is non-blank text, `exp` is present,
// `iat` (optional) is not after now plus unsecuredValidatorAllowableClockSkewMs, now minus
// the skew is before `exp`, `exp` is after `iat`, and the scope claim
// (unsecuredValidatorScopeClaimName, default `scope`: text or a list) holds every element
// of unsecuredValidatorRequiredScope (space-separated); a missing scope answers
// insufficient_scope with the required list, anything else invalid_token.

import { claimValue, JwsFormatError, parseJws, rejection, typeName, type OAuthBearerResult, type OAuthBearerValidator } from './oauthbearer-token.ts'

export interface UnsecuredValidatorOptions {
  principalClaimName: string
  scopeClaimName: string
  /** Space-separated scope items that every token must carry; '' = none. */
  requiredScope: string
  allowableClockSkewMs: number
}

// RFC 6749 scope-token characters (Kafka's OAuthBearerScopeUtils).
const SCOPE_ITEM = /^[\x21\x23-\x5B\x5D-\x7E]+$/

export function parseScopeList(spaceDelimited: string): string[] {
  const out: string[] = []
  for (const item of spaceDelimited.split(' ')) {
    if (item === '') continue
    if (!SCOPE_ITEM.test(item)) throw new Error(`Invalid scope value: ${item}`)
    out.push(item)
  }
  return out
}

export class UnsecuredValidator implements OAuthBearerValidator {
  private readonly opts: UnsecuredValidatorOptions
  private readonly required: string[]
  private readonly now: () => number

  constructor(opts: UnsecuredValidatorOptions, now: () => number) {
    this.opts = opts
    this.required = parseScopeList(opts.requiredScope.trim())
    this.now = now
  }

  async init(): Promise<void> {}

  close(): void {}

  async validate(tokenValue: string): Promise<OAuthBearerResult> {
    let jws
    try {
      jws = parseJws(tokenValue)
    } catch (err) {
      if (err instanceof JwsFormatError) return rejection(err.message)
      throw err
    }
    const claims = jws.claims
    const claim = (name: string): string | number | string[] | undefined => (Object.hasOwn(claims, name) ? claimValue(claims[name]) : undefined)
    const rawPrincipal = claim(this.opts.principalClaimName)
    const claimed = typeof rawPrincipal === 'string' && rawPrincipal.trim() !== '' ? rawPrincipal : null
    const fail = (reason: string): OAuthBearerResult => rejection(reason, claimed)

    if (jws.header.alg === undefined || jws.header.alg === null) return fail('JWS header must have an Algorithm value')
    if (String(jws.header.alg) !== 'none') return fail("Unsecured JWS must have 'none' for an algorithm")
    if (jws.signatureText !== '') return fail('Unsecured JWS must not contain a digital signature')

    const scopeRaw = claim(this.opts.scopeClaimName)
    let scope: Set<string>
    if (scopeRaw === undefined) scope = new Set()
    else if (typeof scopeRaw === 'string') scope = scopeRaw.trim() === '' ? new Set() : new Set([scopeRaw.trim()])
    else if (Array.isArray(scopeRaw)) scope = new Set(scopeRaw.filter((s) => s.trim() !== '').map((s) => s.trim()))
    else return fail(`The '${this.opts.scopeClaimName}' claim was not of type List: ${typeName(scopeRaw)}`)

    const exp = claim('exp')
    if (exp === undefined) return fail('No expiration time in JWT')
    if (typeof exp !== 'number') return fail(`The 'exp' claim was not of type Number: ${typeName(exp)}`)
    if (rawPrincipal !== undefined && typeof rawPrincipal !== 'string') return fail(`The '${this.opts.principalClaimName}' claim was not of type String: ${typeName(rawPrincipal)}`)
    if (claimed === null) return fail(`No principal name in JWT claim: ${this.opts.principalClaimName}`)
    const iat = claim('iat')
    if (iat !== undefined && typeof iat !== 'number') return fail(`The 'iat' claim was not of type Number: ${typeName(iat)}`)

    const now = this.now()
    const skew = this.opts.allowableClockSkewMs
    if (iat !== undefined && 1000 * iat > now + skew) {
      return fail(`The Issued At value (${iat} seconds) was after the indicated time (${now} ms) plus allowable clock skew (${skew} ms)`)
    }
    if (now - skew >= 1000 * exp) {
      return fail(`The indicated time (${now} ms) minus allowable clock skew (${skew} ms) was on or after the Expiration Time value (${exp} seconds)`)
    }
    if (iat !== undefined && exp <= iat) return fail(`The Expiration Time time (${exp} seconds) was not after the Issued At time (${iat} seconds)`)
    for (const needed of this.required) {
      if (!scope.has(needed)) {
        return {
          ok: false,
          status: 'insufficient_scope',
          scope: `[${this.required.join(', ')}]`,
          reason: `The provided scope ([${[...scope].join(', ')}]) was missing a required scope (${needed}).  All required scope elements: [${this.required.join(', ')}]`,
          claimedPrincipal: claimed,
        }
      }
    }
    return { ok: true, token: { principal: claimed, lifetimeMs: Math.round(exp * 1000), scope, startTimeMs: iat === undefined ? null : Math.round(iat * 1000) } }
  }
}

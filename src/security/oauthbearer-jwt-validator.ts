// Kafka's secured OAUTHBEARER validator (OAuthBearerValidatorCallbackHandler with
// ValidatorAccessTokenValidator, KIP-768), chosen by setting sasl.oauthbearer.jwks.endpoint.url.
// A token is a signed JWS whose key comes from the JWKS (oauthbearer-jwks.ts): RS256/384/512,
// PS256/384/512, ES256/384/512 and EdDSA, verified with node:crypto; alg "none" and
// symmetric algorithms are refused, so unsecured development tokens cannot get in. The
// claims are checked as Kafka's jose4j consumer does: `exp` and `iat` required, `exp` (and
// `nbf` when present) with sasl.oauthbearer.clock.skew.seconds of leeway, whole seconds;
// with sasl.oauthbearer.expected.audience the `aud` claim must name one of them, and
// without it a token that has an `aud` is refused (jose4j's default, which Kafka keeps);
// with sasl.oauthbearer.expected.issuer `iss` must equal it. The principal is the
// sasl.oauthbearer.sub.claim.name claim, the scope the sasl.oauthbearer.scope.claim.name
// claim (text = one item, a list = its items, no duplicates). Every failure answers
// invalid_token; the reason goes to the log only.

import { constants, verify, type KeyObject } from 'node:crypto'
import { claimValue, JwsFormatError, parseJws, rejection, type Jws, type OAuthBearerResult, type OAuthBearerValidator } from './oauthbearer-token.ts'
import type { JwksKeySource, VerificationKey } from './oauthbearer-jwks.ts'

export interface JwtValidatorOptions {
  /** sasl.oauthbearer.expected.audience, already split; empty = none expected. */
  expectedAudience: readonly string[]
  /** sasl.oauthbearer.expected.issuer; '' = not checked. */
  expectedIssuer: string
  subClaimName: string
  scopeClaimName: string
  clockSkewSeconds: number
}

interface Algorithm {
  kty: 'RSA' | 'EC' | 'OKP'
  hash: string | null
  pss?: true
  curve?: string
}

const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  ES256: { kty: 'EC', hash: 'sha256', curve: 'prime256v1' },
  ES384: { kty: 'EC', hash: 'sha384', curve: 'secp384r1' },
  ES512: { kty: 'EC', hash: 'sha512', curve: 'secp521r1' },
  EdDSA: { kty: 'OKP', hash: null },
}

// jose4j refuses RSA keys under 2048 bits.
const MIN_RSA_BITS = 2048

function suits(k: VerificationKey, alg: string, a: Algorithm, kid: string | null): boolean {
  if (kid !== null && k.kid !== kid) return false
  if (k.kty !== a.kty) return false
  if (k.use !== null && k.use !== 'sig') return false
  if (k.alg !== null && k.alg !== alg) return false
  if (k.keyOps !== null && !k.keyOps.includes('verify')) return false
  const details = k.key.asymmetricKeyDetails
  if (a.kty === 'RSA') return (details?.modulusLength ?? 0) >= MIN_RSA_BITS
  if (a.kty === 'EC') return details?.namedCurve === a.curve
  return k.key.asymmetricKeyType === 'ed25519' || k.key.asymmetricKeyType === 'ed448'
}

function signatureHolds(jws: Jws, a: Algorithm, key: KeyObject): boolean {
  const data = Buffer.from(jws.signingInput, 'ascii')
  try {
    if (a.kty === 'OKP') return verify(null, data, key, jws.signature)
    if (a.kty === 'EC') return verify(a.hash, data, { key, dsaEncoding: 'ieee-p1363' }, jws.signature)
    if (a.pss === true) return verify(a.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, jws.signature)
    return verify(a.hash, data, key, jws.signature)
  } catch {
    return false
  }
}

export class JwtValidator implements OAuthBearerValidator {
  private readonly opts: JwtValidatorOptions
  private readonly keys: JwksKeySource
  private readonly now: () => number

  constructor(opts: JwtValidatorOptions, keys: JwksKeySource, now: () => number) {
    this.opts = opts
    this.keys = keys
    this.now = now
  }

  init(): Promise<void> {
    return this.keys.init()
  }

  close(): void {
    this.keys.close()
  }

  async validate(tokenValue: string): Promise<OAuthBearerResult> {
    const token = tokenValue.trim()
    if (token === '') return rejection('Empty JWT provided; expected three sections (header, payload, and signature)')
    const sections = token.split('.')
    if (sections.length !== 3 || sections.some((s) => s === '')) return rejection(`Malformed JWT provided; expected three non-empty sections (header, payload, and signature), but got ${sections.filter((s) => s !== '').length}`)
    let jws: Jws
    try {
      jws = parseJws(token)
    } catch (err) {
      if (err instanceof JwsFormatError) return rejection(`Could not validate the access token: ${err.message}`)
      throw err
    }
    const sub = jws.claims[this.opts.subClaimName]
    const claimed = typeof sub === 'string' && sub.trim() !== '' ? sub.trim() : null
    const fail = (reason: string): OAuthBearerResult => rejection(`Could not validate the access token: ${reason}`, claimed)

    const alg = typeof jws.header.alg === 'string' ? jws.header.alg : ''
    const a = Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg] : undefined
    if (a === undefined) return fail(`the JWS algorithm ${JSON.stringify(jws.header.alg ?? null)} is not permitted (${Object.keys(ALGORITHMS).join(', ')})`)
    if (jws.header.crit !== undefined) return fail('the JWS header has critical extensions ("crit"), which are not understood')
    const kid = typeof jws.header.kid === 'string' ? jws.header.kid : null

    let verified = this.verifyWith(this.keys.current, jws, alg, a, kid)
    if (verified === 'no key' && await this.keys.refreshForMissing(kid ?? '')) verified = this.verifyWith(this.keys.current, jws, alg, a, kid)
    if (verified === 'no key') return fail(`no suitable verification key for a JWS with header ${JSON.stringify(jws.header)} in the JWKS of ${this.keys.url}`)
    if (verified === 'bad signature') return fail('JWS signature is invalid')
    return this.checkClaims(jws, claimed, fail)
  }

  private verifyWith(keys: readonly VerificationKey[], jws: Jws, alg: string, a: Algorithm, kid: string | null): 'ok' | 'no key' | 'bad signature' {
    const candidates = keys.filter((k) => suits(k, alg, a, kid))
    if (candidates.length === 0) return 'no key'
    return candidates.some((k) => signatureHolds(jws, a, k.key)) ? 'ok' : 'bad signature'
  }

  private checkClaims(jws: Jws, claimed: string | null, fail: (reason: string) => OAuthBearerResult): OAuthBearerResult {
    const c = jws.claims
    const numeric = (name: string): number | undefined | null => {
      const v = c[name]
      if (v === undefined || v === null) return undefined
      return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null
    }
    const exp = numeric('exp')
    const iat = numeric('iat')
    const nbf = numeric('nbf')
    if (exp === null) return fail("could not extract the 'exp' claim from the access token")
    if (iat === null) return fail("could not extract the 'iat' claim from the access token")
    if (nbf === null) return fail("could not extract the 'nbf' claim from the access token")
    if (exp === undefined) return fail('No Expiration Time (exp) claim present.')
    if (iat === undefined) return fail('No Issued At (iat) claim present.')
    const skew = this.opts.clockSkewSeconds
    const nowSeconds = Math.floor(this.now() / 1000)
    if (nowSeconds >= exp + skew) return fail(`The JWT is no longer valid - the evaluation time ${nowSeconds} is on or after the Expiration Time (exp=${exp}) claim value (even when providing ${skew} seconds of leeway to account for clock skew).`)
    if (nbf !== undefined && nowSeconds + skew < nbf) return fail(`The JWT is not yet valid as the evaluation time ${nowSeconds} is before the Not Before (nbf=${nbf}) claim time (even when providing ${skew} seconds of leeway to account for clock skew).`)

    const audRaw = c.aud
    if (audRaw !== undefined && audRaw !== null) {
      const aud = typeof audRaw === 'string' ? [audRaw] : Array.isArray(audRaw) && audRaw.every((x) => typeof x === 'string') ? audRaw as string[] : null
      if (aud === null) return fail("could not extract the 'aud' claim from the access token")
      const expected = this.opts.expectedAudience
      if (!aud.some((x) => expected.includes(x))) {
        const want = expected.length === 1 ? expected[0] : `one of [${expected.join(', ')}]`
        return fail(`Audience (aud) claim [${aud.join(', ')}] ${expected.length === 0 ? 'present in the JWT but no expected audience value(s) were provided to the JWT Consumer.' : "doesn't contain an acceptable identifier."} Expected ${want} as an aud value.`)
      }
    } else if (this.opts.expectedAudience.length > 0) {
      return fail('No Audience (aud) claim present.')
    }
    if (this.opts.expectedIssuer !== '') {
      if (c.iss === undefined || c.iss === null) return fail('No Issuer (iss) claim present.')
      if (c.iss !== this.opts.expectedIssuer) return fail(`Issuer (iss) claim value (${String(c.iss)}) doesn't match expected value of ${this.opts.expectedIssuer}`)
    }

    const scopeName = this.opts.scopeClaimName
    const scopeRaw = claimValue(c[scopeName])
    const items = typeof scopeRaw === 'string' ? [scopeRaw] : Array.isArray(scopeRaw) ? scopeRaw : []
    const scope = new Set<string>()
    for (const item of items) {
      if (item.trim() === '') return fail(`${scopeName} value must be non-empty and not only whitespace`)
      if (scope.has(item.trim())) return fail(`${scopeName} value must not contain duplicates - ${item.trim()} already present`)
      scope.add(item.trim())
    }
    const subName = this.opts.subClaimName
    const subRaw = c[subName]
    if (subRaw !== undefined && subRaw !== null && typeof subRaw !== 'string') return fail(`could not extract the '${subName}' claim from the access token`)
    if (claimed === null) return fail(`${subName} value must be non-null, non-empty and not only whitespace`)
    if (exp < 0) return fail(`exp value must be non-negative; value given was "${exp * 1000}"`)
    if (iat < 0) return fail(`iat value must be null or non-negative; value given was "${iat * 1000}"`)
    return { ok: true, token: { principal: claimed, lifetimeMs: exp * 1000, scope, startTimeMs: iat * 1000 } }
  }
}

// The server side of SASL/OAUTHBEARER (RFC 7628), as Kafka's OAuthBearerSaslServer: the
// client's one message is `n,[a=authzid],^Aauth=Bearer <token>^A[key=value^A...]^A`
// (^A = 0x01; the extensions are accepted, as both of Kafka's validators accept them). A
// token the validator refuses is not a failure yet: the server answers with the RFC 7628
// error challenge, `{"status":"invalid_token"}` (insufficient_scope adds `"scope"`), the
// client acknowledges with a lone ^A, and only then does the exchange fail, carrying that
// same JSON as the error message. A message that does not parse fails at once with Kafka's
// generic text (its SaslException never reaches the client). An authorization id other than
// the token's principal fails with Kafka's message.

import type { OAuthBearerValidator } from './oauthbearer-token.ts'
import { SaslFailure, type SaslServer } from './sasl-servers.ts'

const GENERIC_FAILURE = 'Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER'

// OAuthBearerClientInitialResponse: saslname is any of 0x01-0x7F but ',' and '=', or =2C / =3D.
const INITIAL_RESPONSE = /^n,(?:a=((?:[\x01-\x2B\x2D-\x3C\x3E-\x7F]|=2C|=3D)+))?,\x01((?:[A-Za-z]+=[\x21-\x7E \t\r\n]+\x01)*)\x01$/
const AUTH_VALUE = /^(\w+) +([-_~+/.a-zA-Z0-9]+=*)$/

export class OAuthBearerServer implements SaslServer {
  complete = false
  user: string | null = null
  credentialExpiresAt: number | null = null
  /** Why the last answer was an error challenge (for the log), else null. */
  rejected: string | null = null
  private errorMessage: string | null = null
  private readonly validator: OAuthBearerValidator

  constructor(validator: OAuthBearerValidator) {
    this.validator = validator
  }

  async evaluate(response: Buffer): Promise<Buffer> {
    if (response.length === 1 && response[0] === 0x01 && this.errorMessage !== null) {
      throw new SaslFailure(this.errorMessage, this.user, null, true)
    }
    // Anything else after an error challenge is a fresh client message, as in Kafka.
    this.errorMessage = null
    this.rejected = null
    const m = INITIAL_RESPONSE.exec(response.toString('utf8'))
    if (m === null) throw new SaslFailure(GENERIC_FAILURE, null, 'Invalid OAUTHBEARER client first message')
    const authzid = m[1] ?? ''
    let auth: string | undefined
    for (const pair of m[2].split('\x01')) {
      if (pair === '') continue
      const eq = pair.indexOf('=')
      if (pair.slice(0, eq) === 'auth') auth = pair.slice(eq + 1)
    }
    if (auth === undefined) throw new SaslFailure(GENERIC_FAILURE, null, "Invalid OAUTHBEARER client first message: 'auth' not specified")
    const a = AUTH_VALUE.exec(auth)
    if (a === null) throw new SaslFailure(GENERIC_FAILURE, null, "Invalid OAUTHBEARER client first message: invalid 'auth' format")
    if (a[1].toLowerCase() !== 'bearer') throw new SaslFailure(GENERIC_FAILURE, null, `Invalid scheme in OAUTHBEARER client first message: ${a[1]}`)

    const result = await this.validator.validate(a[2])
    if (!result.ok) {
      this.user = result.claimedPrincipal
      let json = `{"status":"${result.status}"`
      if (result.scope !== null) json += `, "scope":"${result.scope}"`
      json += '}'
      this.errorMessage = json
      this.rejected = `${result.status}: ${result.reason}`
      return Buffer.from(json, 'utf8')
    }
    const token = result.token
    this.user = token.principal
    if (authzid !== '' && authzid !== token.principal) {
      throw new SaslFailure(`Authentication failed: Client requested an authorization id (${authzid}) that is different from the token's principal name (${token.principal})`, token.principal)
    }
    this.credentialExpiresAt = token.lifetimeMs
    this.complete = true
    return Buffer.alloc(0)
  }
}

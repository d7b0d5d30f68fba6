// What an OAUTHBEARER validator answers: the token it accepted (Kafka's OAuthBearerToken:
// principal, lifetime from `exp`, scope) or a rejection carrying the RFC 6750 error status
// the client is sent ("invalid_token", or "insufficient_scope" with the scope that was
// missing) and, for the broker's log only, why. Also the JWS compact serialization
// (RFC 7515) parsing both validators share, with JSON values converted the way Kafka's
// OAuthBearerUnsecuredJws reads claims (arrays of strings, numbers, everything else text).

export interface OAuthBearerToken {
  readonly principal: string
  /** When the token expires (`exp`), in ms since the epoch: the credential lifetime of KIP-368. */
  readonly lifetimeMs: number
  readonly scope: ReadonlySet<string>
  /** `iat` in ms, when present. */
  readonly startTimeMs: number | null
}

export interface OAuthBearerRejection {
  readonly status: 'invalid_token' | 'insufficient_scope'
  /** Sent to the client with insufficient_scope: the required scope, as Kafka prints a list ("[a, b]"). */
  readonly scope: string | null
  /** Why, for the log; never sent to the client (Kafka sends only the status). */
  readonly reason: string
  /** The principal the token claims, when it could be read (for the log line). */
  readonly claimedPrincipal: string | null
}

export type OAuthBearerResult = { ok: true; token: OAuthBearerToken } | ({ ok: false } & OAuthBearerRejection)

export interface OAuthBearerValidator {
  validate(tokenValue: string): Promise<OAuthBearerResult>
  /** Loads what the validator needs before the listeners open (the JWKS); throws when it cannot. */
  init(): Promise<void>
  close(): void
}

export function rejection(reason: string, claimedPrincipal: string | null = null): { ok: false } & OAuthBearerRejection {
  return { ok: false, status: 'invalid_token', scope: null, reason, claimedPrincipal }
}

export class JwsFormatError extends Error {}

export interface Jws {
  readonly header: Readonly<Record<string, unknown>>
  readonly claims: Readonly<Record<string, unknown>>
  /** `header.payload` as sent: what the signature covers. */
  readonly signingInput: string
  readonly signature: Buffer
  /** The third section as sent (empty for an unsecured JWS). */
  readonly signatureText: string
}

// Base64url, padding optional; the standard alphabet is tolerated as Java's decoders in
// Kafka's unsecured path accept it.
const BASE64 = /^[A-Za-z0-9_\-+/]*={0,2}$/

function decodeSection(text: string, what: string): Buffer {
  if (!BASE64.test(text)) throw new JwsFormatError(`malformed Base64 URL encoded value in the JWS ${what}`)
  return Buffer.from(text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url')
}

function decodeJsonObject(text: string, what: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(decodeSection(text, what).toString('utf8'))
  } catch (err) {
    if (err instanceof JwsFormatError) throw err
    throw new JwsFormatError(`malformed JSON in the JWS ${what}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new JwsFormatError(`malformed JSON in the JWS ${what}: not an object`)
  return parsed as Record<string, unknown>
}

/** Three dot-separated sections; the signature may be empty (alg "none"). Throws JwsFormatError. */
export function parseJws(compact: string): Jws {
  if (compact.includes('..')) throw new JwsFormatError("Malformed compact serialization contains '..'")
  const parts = compact.split('.')
  if (parts.length !== 3) throw new JwsFormatError('JWS compact serializations must have 3 dot-separated Base64URL-encoded values')
  const header = decodeJsonObject(parts[0], 'header')
  const claims = decodeJsonObject(parts[1], 'payload')
  return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: decodeSection(parts[2], 'signature'), signatureText: parts[2] }
}

/** Kafka's view of a claim value: arrays become lists of text, numbers stay numbers, anything else is text. */
export function claimValue(raw: unknown): string | number | string[] | undefined {
  if (raw === undefined || raw === null) return undefined
  if (Array.isArray(raw)) return raw.map((e) => (typeof e === 'string' ? e : e !== null && typeof e === 'object' ? '' : String(e)))
  if (typeof raw === 'number' || typeof raw === 'string') return raw
  if (typeof raw === 'boolean') return String(raw)
  return ''
}

export function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'List'
  if (typeof value === 'number') return 'Number'
  return 'String'
}

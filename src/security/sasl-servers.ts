// The server side of each SASL mechanism: PLAIN (RFC 4616) and SCRAM-SHA-256/512
// (RFC 5802, RFC 7677), checked against the SCRAM credential store (OAUTHBEARER's is
// oauthbearer-server.ts). One instance per
// authentication exchange. Failures carry the message Kafka sends the client: PLAIN's
// own (PlainSaslServer raises SaslAuthenticationException, whose text reaches the
// client); SCRAM's is the generic one, so the answer never says whether the user exists.

import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { ScramCredentialStore } from './scram-credential-store.ts'
import { hash, hmac } from './scram-credential-store.ts'
import { scramByName, type SaslMechanism, type ScramMechanismInfo } from './sasl-mechanisms.ts'

export class SaslFailure extends Error {
  /** The user the client claimed, for the log line (never the password). */
  readonly user: string | null
  /** What went wrong, for the log only, where the client is told less. */
  readonly detail: string | null
  /** Already in the log: the OAUTHBEARER error challenge this failure acknowledges was logged when it left. */
  readonly logged: boolean
  constructor(message: string, user: string | null, detail: string | null = null, logged = false) {
    super(message)
    this.user = user
    this.detail = detail
    this.logged = logged
  }
}

export interface SaslServer {
  /** The next challenge for the client (possibly empty); throws SaslFailure. */
  evaluate(token: Buffer): Promise<Buffer>
  readonly complete: boolean
  /** The authenticated user name once complete (the claimed one before). */
  readonly user: string | null
  /** OAUTHBEARER: when the token expires (ms since the epoch), which ends the session (KIP-368). */
  readonly credentialExpiresAt?: number | null
  /** OAUTHBEARER: why the last challenge was an error challenge (for the log), else null. */
  readonly rejected?: string | null
}

export function createSaslServer(mechanism: Exclude<SaslMechanism, 'OAUTHBEARER'>, store: ScramCredentialStore): SaslServer {
  if (mechanism === 'PLAIN') return new PlainServer(store)
  return new ScramServer(scramByName(mechanism)!, store)
}

class PlainServer implements SaslServer {
  complete = false
  user: string | null = null
  private readonly store: ScramCredentialStore

  constructor(store: ScramCredentialStore) {
    this.store = store
  }

  async evaluate(token: Buffer): Promise<Buffer> {
    const parts: Buffer[] = []
    let start = 0
    for (let i = 0; i <= token.length; i++) {
      if (i === token.length || token[i] === 0) {
        parts.push(token.subarray(start, i))
        start = i + 1
      }
    }
    if (parts.length !== 3) throw new SaslFailure(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`, null)
    const authzid = parts[0].toString('utf8')
    const user = parts[1].toString('utf8')
    this.user = user === '' ? null : user
    if (user === '') throw new SaslFailure('Authentication failed: username not specified', null)
    if (parts[2].length === 0) throw new SaslFailure('Authentication failed: password not specified', user)
    if (!(await this.store.verifyPassword(user, parts[2]))) throw new SaslFailure('Authentication failed: Invalid username or password', user)
    if (authzid !== '' && authzid !== user) throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username', user)
    this.complete = true
    return Buffer.alloc(0)
  }
}

// RFC 5802 saslname: ',' and '=' travel as =2C and =3D; any other '=' is malformed.
function decodeSaslName(name: string): string | null {
  if (/=(?!2C|3D)/.test(name)) return null
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=')
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of message.split(',')) {
    if (part.length < 2 || part[1] !== '=') continue
    if (!out.has(part[0])) out.set(part[0], part.slice(2))
  }
  return out
}

class ScramServer implements SaslServer {
  complete = false
  user: string | null = null
  private readonly m: ScramMechanismInfo
  private readonly store: ScramCredentialStore
  private state: 'first' | 'final' | 'done' = 'first'
  private gs2Header = ''
  private clientFirstBare = ''
  private serverFirst = ''
  private nonce = ''

  constructor(m: ScramMechanismInfo, store: ScramCredentialStore) {
    this.m = m
    this.store = store
  }

  private fail(): never {
    this.state = 'done'
    throw new SaslFailure(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.m.name}`, this.user)
  }

  async evaluate(token: Buffer): Promise<Buffer> {
    const text = token.toString('utf8')
    if (this.state === 'first') return this.first(text)
    if (this.state === 'final') return this.final(text)
    return this.fail()
  }

  private first(text: string): Buffer {
    // gs2-header: "n,," or "y,," (no channel binding), optionally "n,a=authzid,".
    const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(text)
    if (m === null) return this.fail()
    this.gs2Header = `${m[1]},${m[2] ?? ''},`
    this.clientFirstBare = m[3]
    const attrs = attributes(this.clientFirstBare)
    const rawUser = attrs.get('n')
    const clientNonce = attrs.get('r')
    const user = rawUser === undefined ? null : decodeSaslName(rawUser)
    this.user = user
    if (user === null || user === '' || clientNonce === undefined || clientNonce === '' || this.clientFirstBare.startsWith('m=')) return this.fail()
    if (m[2] !== undefined) {
      const authzid = decodeSaslName(m[2].slice(2))
      if (authzid !== '' && authzid !== user) throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username', user)
    }
    const credential = this.store.get(user, this.m.name)
    if (credential === undefined || credential.iterations < this.m.minIterations) return this.fail()
    this.nonce = clientNonce + randomBytes(18).toString('base64')
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`
    this.state = 'final'
    return Buffer.from(this.serverFirst, 'utf8')
  }

  private final(text: string): Buffer {
    const proofAt = text.lastIndexOf(',p=')
    if (proofAt < 0) return this.fail()
    const withoutProof = text.slice(0, proofAt)
    const attrs = attributes(withoutProof)
    // Kafka checks that the nonce ends with the server's (ScramSaslServer), and librdkafka
    // relies on it: it sends its own nonce again in front of the combined one.
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64') || !(attrs.get('r') ?? '').endsWith(this.nonce)) return this.fail()
    const credential = this.store.get(this.user!, this.m.name)
    if (credential === undefined) return this.fail()
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64')
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`
    const clientSignature = hmac(this.m, credential.storedKey, authMessage)
    if (proof.length !== clientSignature.length) return this.fail()
    const clientKey = Buffer.alloc(proof.length)
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ clientSignature[i]
    if (!timingSafeEqual(hash(this.m, clientKey), credential.storedKey)) return this.fail()
    const serverSignature = hmac(this.m, credential.serverKey, authMessage)
    this.state = 'done'
    this.complete = true
    return Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8')
  }
}

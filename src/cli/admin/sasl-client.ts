// The client side of SASL PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802, RFC 7677) for
// the admin CLI, as a token exchange that knows nothing of sockets: `start()` gives the
// first token, `next(challenge)` each later one (null when the exchange is over on our
// side). SCRAM checks what Kafka's ScramSaslClient checks: the server nonce extends ours,
// at least 4096 iterations, and the server's signature, so a broker that does not hold
// the credential cannot pretend it does.

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import type { ClientSaslMechanism } from './client-config.ts'

const pbkdf2Async = promisify(pbkdf2)

/** The exchange failed on the client side (the broker's answer was wrong or refused). */
export class SaslClientError extends Error {
  override name = 'SaslClientError'
}

export interface SaslClient {
  start(): Buffer
  next(challenge: Buffer): Promise<Buffer | null>
}

const SCRAM = {
  'SCRAM-SHA-256': { hash: 'sha256', length: 32 },
  'SCRAM-SHA-512': { hash: 'sha512', length: 64 },
} as const
const MIN_ITERATIONS = 4096

export function createSaslClient (mechanism: ClientSaslMechanism, username: string, password: string): SaslClient {
  if (mechanism === 'PLAIN') return new PlainClient(username, password)
  return new ScramClient(mechanism, username, password)
}

class PlainClient implements SaslClient {
  private readonly token: Buffer
  constructor (username: string, password: string) {
    this.token = Buffer.from(`\u0000${username}\u0000${password}`, 'utf8')
  }

  start (): Buffer {
    return this.token
  }

  async next (): Promise<Buffer | null> {
    return null
  }
}

/** RFC 5802 saslname: ',' and '=' are escaped. */
function saslName (name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

function attributes (message: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of message.split(',')) {
    if (part.length >= 2 && part[1] === '=' && !out.has(part[0]!)) out.set(part[0]!, part.slice(2))
  }
  return out
}

class ScramClient implements SaslClient {
  private readonly hash: 'sha256' | 'sha512'
  private readonly length: number
  private readonly mechanism: string
  private readonly username: string
  private readonly password: string
  private readonly clientNonce = randomBytes(24).toString('base64url')
  private state: 'first' | 'final' | 'verify' | 'done' = 'first'
  private clientFirstBare = ''
  private serverSignature: Buffer | null = null

  constructor (mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username: string, password: string) {
    this.mechanism = mechanism
    this.hash = SCRAM[mechanism].hash
    this.length = SCRAM[mechanism].length
    this.username = username
    this.password = password
  }

  start (): Buffer {
    this.clientFirstBare = `n=${saslName(this.username)},r=${this.clientNonce}`
    this.state = 'final'
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8')
  }

  async next (challenge: Buffer): Promise<Buffer | null> {
    const text = challenge.toString('utf8')
    if (this.state === 'final') return await this.clientFinal(text)
    if (this.state === 'verify') {
      this.verify(text)
      return null
    }
    throw new SaslClientError(`Unexpected ${this.mechanism} challenge after the exchange ended`)
  }

  private async clientFinal (serverFirst: string): Promise<Buffer> {
    const attrs = attributes(serverFirst)
    if (attrs.has('e')) throw new SaslClientError(`${this.mechanism} refused: ${attrs.get('e')}`)
    const nonce = attrs.get('r')
    const salt = attrs.get('s')
    const iterations = Number(attrs.get('i'))
    if (nonce === undefined || !nonce.startsWith(this.clientNonce) || nonce === this.clientNonce) throw new SaslClientError(`Invalid ${this.mechanism} server nonce`)
    if (salt === undefined || !Number.isInteger(iterations)) throw new SaslClientError(`Invalid ${this.mechanism} server-first message`)
    if (iterations < MIN_ITERATIONS) throw new SaslClientError(`Requested iterations ${iterations} is less than the minimum ${MIN_ITERATIONS} for ${this.mechanism}`)
    const salted = await pbkdf2Async(Buffer.from(this.password, 'utf8'), Buffer.from(salt, 'base64'), iterations, this.length, this.hash)
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`
    const clientKey = this.hmac(salted, 'Client Key')
    const storedKey = createHash(this.hash).update(clientKey).digest()
    const clientSignature = this.hmac(storedKey, authMessage)
    const proof = Buffer.alloc(clientKey.length)
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!
    this.serverSignature = this.hmac(this.hmac(salted, 'Server Key'), authMessage)
    this.state = 'verify'
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8')
  }

  private verify (serverFinal: string): void {
    this.state = 'done'
    const attrs = attributes(serverFinal)
    if (attrs.has('e')) throw new SaslClientError(`${this.mechanism} refused: ${attrs.get('e')}`)
    const v = Buffer.from(attrs.get('v') ?? '', 'base64')
    if (v.length !== this.serverSignature!.length || !timingSafeEqual(v, this.serverSignature!)) {
      throw new SaslClientError(`Invalid ${this.mechanism} server signature: the broker does not hold this user's credential`)
    }
  }

  private hmac (key: Buffer, data: string): Buffer {
    return createHmac(this.hash, key).update(data).digest()
  }
}

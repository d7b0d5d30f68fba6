// The verification keys of sasl.oauthbearer.jwks.endpoint.url (a JSON Web Key Set, RFC 7517),
// as Kafka's RefreshingHttpsJwks keeps them: loaded once before the listeners open (a broker
// that cannot load them does not start), reloaded every sasl.oauthbearer.jwks.endpoint.refresh.ms
// (a failed reload keeps the keys it had), and reloaded at once when a token names a key id
// that is not there — at most once a minute per unknown id, 16 ids remembered, ids over
// 1000 characters never, so a client cannot make the broker hammer the endpoint. Where
// Kafka fails that token and lets the next one find the new key, the token that asked for
// the reload waits for it, so a key rotation costs no client a failed login. Reloads run one
// at a time. http(s):// is fetched; file:// is read (and, unlike Kafka, which reads a file
// once, re-read on the same schedule). Keys Node cannot import (symmetric, unknown curves)
// are skipped.

import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Clock, Timer } from '../groups/clock.ts'
import type { Logger } from '../logger.ts'

export interface VerificationKey {
  readonly kid: string | null
  readonly kty: string
  /** `alg` when the key names one. */
  readonly alg: string | null
  readonly use: string | null
  readonly keyOps: readonly string[] | null
  readonly key: KeyObject
}

const MISSING_KID_RETRY_MS = 60_000
const MISSING_KID_CACHE = 16
const MAX_KID_LENGTH = 1000
const FETCH_TIMEOUT_MS = 10_000

export class JwksLoadError extends Error {}

export class JwksKeySource {
  readonly url: string
  private readonly refreshMs: number
  private readonly clock: Clock
  private readonly logger: Logger
  private keys: VerificationKey[] = []
  private loading: Promise<void> | null = null
  private timer: Timer | null = null
  private closed = false
  /** Unknown key id → when it may trigger another reload (insertion order = age). */
  private readonly missing = new Map<string, number>()
  /** How many times the set was loaded (tests and logs). */
  loads = 0

  constructor(url: string, refreshMs: number, clock: Clock, logger: Logger) {
    this.url = url
    this.refreshMs = refreshMs
    this.clock = clock
    this.logger = logger
  }

  async init(): Promise<void> {
    try {
      this.keys = await this.fetchKeys()
    } catch (err) {
      throw new JwksLoadError(`cannot load the JSON Web Key Set from sasl.oauthbearer.jwks.endpoint.url ${this.url}: ${(err as Error).message}`)
    }
    this.loads++
    this.logger.info({ url: this.url, keys: this.keys.length, refreshMs: this.refreshMs }, 'loaded the OAUTHBEARER verification keys')
    this.schedule()
  }

  close(): void {
    this.closed = true
    this.timer?.cancel()
    this.timer = null
  }

  get current(): readonly VerificationKey[] {
    return this.keys
  }

  /**
   * A token names a key id (or none: '') that no key matched: reload now unless this id
   * asked for one in the last minute; resolves once the keys are as fresh as they will get.
   * True when a reload happened (so selecting again may find the key).
   */
  async refreshForMissing(kid: string): Promise<boolean> {
    if (kid.length > MAX_KID_LENGTH || this.closed) return false
    const now = this.clock.now()
    const next = this.missing.get(kid)
    if (next !== undefined && next > now) return false
    this.missing.delete(kid)
    this.missing.set(kid, now + MISSING_KID_RETRY_MS)
    while (this.missing.size > MISSING_KID_CACHE) this.missing.delete(this.missing.keys().next().value!)
    await this.reload(`a token named key id ${JSON.stringify(kid.slice(0, 100))}, which is not in the set`)
    return true
  }

  private schedule(): void {
    if (this.closed) return
    this.timer = this.clock.setTimer(this.refreshMs, () => {
      this.timer = null
      void this.reload('scheduled').finally(() => this.schedule())
    })
  }

  private reload(why: string): Promise<void> {
    this.loading ??= (async () => {
      try {
        const keys = await this.fetchKeys()
        this.keys = keys
        this.loads++
        for (const k of keys) if (k.kid !== null) this.missing.delete(k.kid)
        this.logger.info({ url: this.url, keys: keys.length, why }, 'reloaded the OAUTHBEARER verification keys')
      } catch (err) {
        this.logger.warn({ url: this.url, why, err: (err as Error).message }, 'cannot reload the OAUTHBEARER verification keys; the previous ones stay in use')
      } finally {
        this.loading = null
      }
    })()
    return this.loading
  }

  private async fetchKeys(): Promise<VerificationKey[]> {
    const url = new URL(this.url)
    let text: string
    if (url.protocol === 'file:') {
      text = await readFile(fileURLToPath(url), 'utf8')
    } else {
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      text = await res.text()
    }
    return parseJwks(text, (why) => this.logger.debug({ url: this.url, why }, 'skipping a JSON Web Key'))
  }
}

/** The usable public keys of a JWKS document; throws when it is not one. */
export function parseJwks(text: string, skipped: (why: string) => void = () => {}): VerificationKey[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new Error('not JSON')
  }
  const list = doc !== null && typeof doc === 'object' ? (doc as { keys?: unknown }).keys : undefined
  if (!Array.isArray(list)) throw new Error('no "keys" array (not a JSON Web Key Set)')
  const out: VerificationKey[] = []
  for (const jwk of list) {
    if (jwk === null || typeof jwk !== 'object') continue
    const j = jwk as Record<string, unknown>
    const kty = typeof j.kty === 'string' ? j.kty : ''
    if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') {
      skipped(`key type ${JSON.stringify(j.kty)} is not used for signatures here`)
      continue
    }
    // Only the public members: a set that carries private parts must not make us hold them.
    const pub: Record<string, unknown> = { kty }
    for (const m of kty === 'RSA' ? ['n', 'e'] : ['crv', 'x', 'y']) if (j[m] !== undefined) pub[m] = j[m]
    let key: KeyObject
    try {
      key = createPublicKey({ key: pub as never, format: 'jwk' })
    } catch (err) {
      skipped(`cannot import key ${JSON.stringify(j.kid)}: ${(err as Error).message}`)
      continue
    }
    out.push({
      kid: typeof j.kid === 'string' ? j.kid : null,
      kty,
      alg: typeof j.alg === 'string' ? j.alg : null,
      use: typeof j.use === 'string' ? j.use : null,
      keyOps: Array.isArray(j.key_ops) ? j.key_ops.filter((o): o is string => typeof o === 'string') : null,
      key,
    })
  }
  return out
}
